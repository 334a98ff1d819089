"""Worked solutions to the exercises of notebook 11 (length generalisation)."""
from __future__ import annotations

# measured (results.json, seeds 0-2, 200 sequences at 4L = 128 tokens): ALiBi keeps about a fifth
# of the copies right; RoPE (base 10000) is best at 2L but falls below ALiBi and learned at 4L
BEST_AT_4L = "alibi"
best_at_4L = BEST_AT_4L
