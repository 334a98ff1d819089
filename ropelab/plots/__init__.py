"""Matplotlib figures of the lab. Each function returns a standalone Figure.

Every figure is drawn by a pure function of a *state* (numbers in, artists out),
so the same code serves a static figure in a notebook, a widget and a test.
"""
from ._style import GREY, K_COLOR, PALETTE, Q_COLOR, new_figure, style
from .euler import draw_rotation, rotation_figure, rotation_readout, rotation_state, update_rotation

__all__ = [
    "GREY", "K_COLOR", "PALETTE", "Q_COLOR", "new_figure", "style",
    "draw_rotation", "rotation_figure", "rotation_readout", "rotation_state", "update_rotation",
]
from .rope2d import additive_vs_rotary_figure, rope2d_figure, score_tables_figure; __all__ += ["additive_vs_rotary_figure", "rope2d_figure", "score_tables_figure"]  # noqa: E402,E702
from .tensors import broadcast_figure, memory_layout_figure; __all__ += ["broadcast_figure", "memory_layout_figure"]  # noqa: E402,E702
from .long_context import collapse_figure, extension_figure, frequency_scaling_figure, position_error_figure, precision_figure, unseen_angles_figure; __all__ += ["collapse_figure", "extension_figure", "frequency_scaling_figure", "position_error_figure", "precision_figure", "unseen_angles_figure"]  # noqa: E402,E702
from .positional import binary_analogy_figure, extrapolation_figure, pe_columns, pe_heatmap, period_figure; __all__ += ["binary_analogy_figure", "extrapolation_figure", "pe_columns", "pe_heatmap", "period_figure"]  # noqa: E402,E702
from .code_walkthrough import kv_cache_figure, kv_cache_state, layout_pairs_figure, layout_pairs_state; __all__ += ["kv_cache_figure", "kv_cache_state", "layout_pairs_figure", "layout_pairs_state"]  # noqa: E402,E702
from .rope_nd import angle_table_figure, decay_figure, frequencies_figure, frequency_figure, op_count_figure, rotation_matrix_figure; __all__ += ["angle_table_figure", "decay_figure", "frequencies_figure", "frequency_figure", "op_count_figure", "rotation_matrix_figure"]  # noqa: E402,E702
from .vision import axial_table_figure, score_maps_figure, translation_figure; __all__ += ["axial_table_figure", "score_maps_figure", "translation_figure"]  # noqa: E402,E702
from .speed import matrix_traffic_figure, passes_figure, ratio_figure; __all__ += ["matrix_traffic_figure", "passes_figure", "ratio_figure"]  # noqa: E402,E702
