"""``ropelab.lengthgen``: length generalisation of tiny trained models (lesson 11).

The code lives with its lesson, in ``ropelab/lesson11_length_generalisation/lengthgen.py``; this
name is the same module (not a copy), so ``import ropelab.lengthgen`` and
``from ropelab import lengthgen`` work.
"""
import sys

from .lesson11_length_generalisation import lengthgen as _module

sys.modules[__name__] = _module
