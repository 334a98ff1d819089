"""``ropelab.llama``: Meta's LLaMA RoPE code, transcribed.

The code lives with its lesson, in ``ropelab/lesson06_llama_rope/llama.py``; this name is the
same module (not a copy), kept so that ``import ropelab.llama`` and
``from ropelab import llama`` work as before.
"""
import sys

from .lesson06_llama_rope import llama as _module

sys.modules[__name__] = _module
