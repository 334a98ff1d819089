"""Exercises of notebook 11 (length generalisation): predict, then check against the measurements."""
from __future__ import annotations

from ..common.exercises import Exercise, register
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


def _compare_prediction(expected: str, got) -> str | None:
    if not isinstance(got, str):
        return f"return one variant's name as a string (one of {', '.join(CANDIDATES)}); got {got!r}"
    if got not in CANDIDATES:
        return f"{got!r} is not one of the six variants trained only at L: {', '.join(CANDIDATES)}"
    if got != expected:
        return (f"you predicted {got!r}; the measurements say {expected!r}. Not a failure of yours: "
                "the table below shows by how much, and why the usual story does not settle it")
    return None


register(Exercise(
    id="11.best_at_4L",
    title="predict: which variant trained only at L holds up best at 4L (no extension method)?",
    reference=_best_at_4L,
    make_inputs=lambda gen: (),
    n_cases=1,
    compare=_compare_prediction,
    hint="return one name from " + ", ".join(CANDIDATES) + ", e.g. `return \"rope\"`; think about which "
         "encodings ever show the model a position (or a distance) larger than it saw in training",
))
