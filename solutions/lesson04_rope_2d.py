"""Solutions for notebook 04 (RoPE in two dimensions)."""
import math

import torch


def rope_2d(x, positions, theta):
    # one angle per token: m * theta
    ang = positions.to(torch.float32) * theta            # (seq,)
    c, s = torch.cos(ang), torch.sin(ang)
    x1, x2 = x[:, 0], x[:, 1]
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1)


def relative_score_2d(q, k, distance, theta):
    # read each 2-D vector as a complex number, then g = Re[q conj(k) e^{i (m-n) theta}]
    qc = torch.view_as_complex(q.contiguous())           # (N,)
    kc = torch.view_as_complex(k.contiguous())
    turn = complex(math.cos(distance * theta), math.sin(distance * theta))
    return (qc * kc.conj() * turn).real


# prediction 04.moved_together: both arrows turn by the same angle, m - n = 2 stays, so the score stays
moved_together = 1.078

# prediction 04.score_period: r * 30 degrees is a whole turn first at r = 360 / 30
score_period = 12
