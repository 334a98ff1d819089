"""``ropelab.scaling``: context extension: one registry of scaling methods.

The code lives with its lesson, in ``ropelab/lesson08_long_context/scaling.py``; this name is the
same module (not a copy), kept so that ``import ropelab.scaling`` and
``from ropelab import scaling`` work as before.
"""
import sys

from .lesson08_long_context import scaling as _module

sys.modules[__name__] = _module
