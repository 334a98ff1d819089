"""Solutions for notebook 03 (Euler's formula)."""
import torch


def rotate_points(points: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    # (N, 2) real -> (N,) complex: a view, no copy (needs a contiguous last dim of size 2)
    z = torch.view_as_complex(points.contiguous())
    # e^{i theta} = cos(theta) + i sin(theta), length 1
    turn = torch.polar(torch.ones_like(theta), theta)
    # multiplying by e^{i theta} rotates; view_as_real gives back (N, 2)
    return torch.view_as_real(z * turn)


def complex_to_matrix(w: torch.Tensor) -> torch.Tensor:
    a, b = w.real, w.imag
    row0 = torch.stack((a, -b), dim=-1)      # (N, 2)
    row1 = torch.stack((b, a), dim=-1)       # (N, 2)
    return torch.stack((row0, row1), dim=-2)  # (N, 2, 2)


def matrix_to_complex(m: torch.Tensor) -> torch.Tensor:
    # the first column is the image of (1, 0): w * 1 = a + ib
    return torch.complex(m[:, 0, 0], m[:, 1, 0])


# prediction 03.turned_length: |z e^{i theta}| = |z| |e^{i theta}| = |3 + 4i| = 5
turned_length = 5

# prediction 03.transposed_view: after .t() the last dimension has stride 5, not 1
transposed_view = "raises an error"
