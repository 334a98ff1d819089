"""Exercises with automatic checks: ``check("01.attention_scores", my_function)``.

The checker is :mod:`ropelab.common.exercises`; each lesson registers its own exercises
in ``ropelab/lessonNN_topic/exercises.py``, and importing them here makes every id known.
Worked solutions live in ``solutions/lessonNN_topic.py``, not in the notebooks.
"""
from .common.exercises import CheckResult, Exercise, check, get_exercise, list_exercises, register
from .lesson00_start_here import exercises as _00
from .lesson01_tensor_ops import exercises as _01
from .lesson02_positional_encoding import exercises as _02
from .lesson03_euler_formula import exercises as _03
from .lesson04_rope_2d import exercises as _04
from .lesson05_rope_nd import exercises as _05
from .lesson06_llama_rope import exercises as _06
from .lesson07_internlm_rope import exercises as _07
from .lesson08_long_context import exercises as _08
from .lesson09_rope_images import exercises as _09
from .lesson11_length_generalisation import exercises as _11

__all__ = ["CheckResult", "Exercise", "check", "get_exercise", "list_exercises", "register"]
_LESSONS = (_00, _01, _02, _03, _04, _05, _06, _07, _08, _09, _11)  # imported for their registrations
