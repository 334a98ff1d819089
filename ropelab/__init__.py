"""ropelab: an interactive course on rotary position embedding (RoPE, 旋转位置编码).

The core RoPE functions are available at the top level (``ropelab.apply_rope``).
The other modules load on first use: ``ropelab.plots`` (figures), ``ropelab.widgets``
(sliders), ``ropelab.exercises`` (checks), ``ropelab.tensors``, ``ropelab.attention``,
``ropelab.decay``, ``ropelab.llama``, ``ropelab.internlm``, ``ropelab.scaling``,
``ropelab.vision``, ``ropelab.fast``, ``ropelab.hf`` (side-by-side with transformers).
"""
import importlib as _importlib

from . import rope
from .rope import *  # noqa: F401,F403
from .rope import __all__ as _rope_all
from .utils import seed, show_shape

__version__ = "0.1.0"

_SUBMODULES = ("plots", "widgets", "exercises", "tensors", "attention", "llama", "internlm",
               "scaling", "vision", "fast", "utils", "decay", "hf")

__all__ = list(_rope_all) + ["seed", "show_shape"]


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ropelab' has no attribute {name!r}")
