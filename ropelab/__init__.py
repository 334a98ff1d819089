"""ropelab: an interactive course on rotary position embedding (RoPE, 旋转位置编码).

The package is laid out like the course (see the module map in the README):

* ``ropelab.rope``: the thin core. Frequencies, angle tables, the four RoPE forms,
  ``apply_rope``; its names are also at the top level (``ropelab.apply_rope``). It is
  the one place that validates what a learner passes in (helpers in ``_validate``);
  ``_kernels`` below it holds the fast paths, with no public names.
* ``ropelab.common``: what every lesson shares: figure style, the widget base, the
  exercise checker, one timer, the bridge to ``transformers``, the language of the
  messages (``ropelab.set_language("zh")`` for the Chinese edition).
* ``ropelab.lessonNN_topic``: one package per notebook ``NN_topic.ipynb``, with the
  lesson's math beyond the core, its figures, its widget and its exercises.
* Facades for the names notebooks and learners use: ``ropelab.llama``,
  ``ropelab.internlm``, ``ropelab.scaling``, ``ropelab.vision`` (the lessons'
  modules themselves), ``ropelab.widgets`` (every widget), ``ropelab.exercises``
  (``check`` and the registry of every lesson's exercises).

Everything but the core loads on first use.
"""
import importlib as _importlib

from .common.i18n import get_language, set_language
from .common.utils import seed, show_shape
from .rope import *  # noqa: F403
from .rope import __all__ as _rope_all

__version__ = "0.1.0"

_FACADES = ("llama", "internlm", "scaling", "vision", "lengthgen", "widgets", "exercises", "common", "rope")

__all__ = [*_rope_all, "seed", "show_shape", "set_language", "get_language"]


def __getattr__(name):
    if name in _FACADES or name.startswith("lesson"):
        try:
            return _importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'ropelab' has no attribute {name!r}")
