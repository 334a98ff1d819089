"""``ropelab.vision``: 2-D axial RoPE for image patches.

The code lives with its lesson, in ``ropelab/lesson09_rope_images/vision.py``; this name is the
same module (not a copy), kept so that ``import ropelab.vision`` and
``from ropelab import vision`` work as before.
"""
import sys

from .lesson09_rope_images import vision as _module

sys.modules[__name__] = _module
