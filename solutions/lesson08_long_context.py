"""Solutions for notebook 08 (longer contexts and precision)."""
import torch

import ropelab


def interpolated_angles(positions, dim, base, factor):
    # position interpolation: token m is treated as if it sat at m / factor
    return ropelab.angles(positions.double() / factor, dim, base)


def ntk_inv_freq(dim, base, factor):
    # a larger base slows the slow pairs a lot and the fast pairs hardly at all
    new_base = base * factor ** (dim / (dim - 2))
    return ropelab.inv_freq(dim, new_base)


def safe_cos_sin(positions, dim, base):
    ang = ropelab.angles(positions, dim, base)          # float32, (seq, dim // 2)
    return torch.cos(ang).to(torch.bfloat16), torch.sin(ang).to(torch.bfloat16)


# predictions
ntk_exponent = 128 / 126        # d / (d - 2) at d = 128, about 1.0159
bf16_first_collision = 257      # 8 significant bits: integers are exact up to 256; 257 rounds to 256
