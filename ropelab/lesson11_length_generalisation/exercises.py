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
    question_zh="预测：只在长度 L 上训练的变体中，哪一个在 4L 上表现最好（不使用任何扩展方法）？",
    answer=_best_at_4L(),
    choices=CANDIDATES,
    choices_zh=(
        "无位置编码",
        "可学习的绝对位置编码",
        "正弦位置编码",
        "ALiBi 线性偏置",
        "旋转位置编码",
        "基数 100 的旋转位置编码",
    ),
    explain="Measured over three seeds in results.json (the table below): RoPE is best at 2L but falls "
            "fast after it; at 4L the encodings that only ever add a bias per distance (ALiBi) or reuse the "
            "last learned row keep more of the copies right. No encoding holds up at 4L on its own here.",
    explain_zh="这是 results.json 中三个随机种子的测量结果（见下表）：RoPE 在 2L 时最好，但之后迅速下降；到 4L 时，"
               "只按距离加一个偏置的编码（ALiBi），以及沿用最后一行已学习位置向量的编码，能正确复制的比例更高。"
               "在这里，没有哪种编码能单靠自己在 4L 上保持住。",
))
