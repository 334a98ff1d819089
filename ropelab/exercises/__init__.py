"""Exercises with automatic checks: ``check("01.attention_scores", my_function)``.

Each notebook's exercises are registered by the module of the same number;
solutions live in ``solutions/`` at the top of the repository, not in the notebooks.
"""
from ._core import CheckResult, Exercise, check, get_exercise, list_exercises, register

# importing these registers each notebook's exercises
from . import nb00  # noqa: F401  isort: skip
from . import nb01  # noqa: F401  isort: skip
from . import nb02  # noqa: F401  isort: skip
from . import nb03  # noqa: F401  isort: skip
from . import nb04  # noqa: F401  isort: skip
from . import nb05  # noqa: F401  isort: skip
from . import nb06  # noqa: F401  isort: skip
from . import nb07  # noqa: F401  isort: skip
from . import nb08  # noqa: F401  isort: skip
from . import nb09  # noqa: F401  isort: skip

__all__ = ["CheckResult", "Exercise", "check", "get_exercise", "list_exercises", "register"]
