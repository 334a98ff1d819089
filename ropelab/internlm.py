"""``ropelab.internlm``: the Hugging Face / InternLM RoPE code, transcribed.

The code lives with its lesson, in ``ropelab/lesson07_internlm_rope/internlm.py``; this name is the
same module (not a copy), kept so that ``import ropelab.internlm`` and
``from ropelab import internlm`` work as before.
"""
import sys

from .lesson07_internlm_rope import internlm as _module

sys.modules[__name__] = _module
