"""Exercises of notebook 11 (length generalisation): predict, then check against the measurements."""
from __future__ import annotations

from ..common.exercises import Prediction, register
from .lengthgen import load_results

__all__: list[str] = []

# the six variants trained only at length L (rope_pi was fine-tuned at 4L, so it is not a prediction)
CANDIDATES = ("nope", "learned", "sinusoidal", "alibi", "rope", "rope_small")


def _best_at_4L() -> str:
    """The variant with the highest mean accuracy at 4L in the committed results.json."""
    results = load_results()
    n = str(4 * results["train_length"])
    means = {v: sum(results["rows"][v]["accuracy"][n]) / len(results["seeds"]) for v in CANDIDATES}
    return max(means, key=means.get)


register(Prediction(
    id="11.best_at_4L",
    question="predict: which variant trained only at L holds up best at 4L (no extension method)?",
    answer=_best_at_4L(),
    choices=CANDIDATES,
    explain="Measured over three seeds in results.json (the table below): RoPE is best at 2L but falls "
            "fast after it; at 4L the encodings that only ever add a bias per distance (ALiBi) or reuse the "
            "last learned row keep more of the copies right. No encoding holds up at 4L on its own here.",
))
