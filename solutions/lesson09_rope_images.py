"""Solutions for notebook 09 (RoPE for images)."""
import torch

import ropelab
from ropelab.lesson09_rope_images.vision import axial_rope, patch_grid


def axial_angles(positions, dim, base):
    f = ropelab.inv_freq(dim // 2, base)                      # (dim // 4,): base ** (-4j / dim)
    rows = torch.outer(positions[:, 0].float(), f)            # (N, dim // 4): turned by the row
    cols = torch.outer(positions[:, 1].float(), f)            # (N, dim // 4): turned by the column
    return torch.cat((rows, cols), dim=-1)                    # (N, dim // 2)


def score_map(q, k, rows, cols, index, base):
    grid = patch_grid(rows, cols)                             # (rows * cols, 2), raster order
    q_rot = axial_rope(q, grid, base)
    k_rot = axial_rope(k, grid, base)
    return (k_rot @ q_rot[index]).reshape(rows, cols)


# predictions
peak_moves = "generally somewhere else"   # with q != k the pairs' phases differ: the peak sits at an offset
