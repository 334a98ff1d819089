"""Lesson 11: the induction-copy task, the tiny decoder, the shipped checkpoints and results.json.

Nothing here trains more than a few steps except ``test_retraining_reproduces_the_stored_weights``,
marked ``slow`` (about 1 minute of CPU on one thread; ``./lab test --quick`` skips it).
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ropelab import lengthgen as lg
from ropelab.exercises import check

L = lg.TRAIN_LENGTH


@pytest.fixture(scope="module")
def rope():
    return lg.load("rope", 0)


@pytest.fixture(scope="module")
def results():
    return lg.load_results()


def test_the_facade_is_the_lesson_module():
    from ropelab.lesson11_length_generalisation import lengthgen
    assert lg is lengthgen
    assert lg.VARIANTS == ("nope", "learned", "sinusoidal", "alibi", "rope", "rope_small", "rope_pi")


def test_data_copies_distinct_tokens_and_is_seeded():
    a = lg.make_batch(4, 2 * L, torch.Generator().manual_seed(3))
    b = lg.make_batch(4, 2 * L, torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    tokens, targets = a
    n = (2 * L - 2) // 2
    assert torch.equal(tokens[:, 1:n + 1], tokens[:, n + 2:])
    assert (targets != lg.IGNORE).sum(1).tolist() == [n] * 4
    assert all(len(set(row[1:n + 1].tolist())) == n for row in tokens)


def test_a_few_training_steps_lower_the_loss():
    # 150 steps of the real recipe (about 5 s of CPU); the full run is 2000
    cfg = lg.TrainConfig(steps=150, warmup=10)
    tokens, targets = lg.make_batch(64, L, torch.Generator().manual_seed(5), min_copy=2)

    def loss(model):
        with torch.no_grad():
            return float(F.cross_entropy(model(tokens).reshape(-1, lg.VOCAB), targets.reshape(-1),
                                         ignore_index=lg.IGNORE))

    before = loss(lg.build("rope", 0, cfg).eval())
    after = loss(lg.train("rope", 0, cfg))
    assert after < before - 0.25, (before, after)


@pytest.mark.parametrize("label, length", [("rope", 2 * L), ("rope + yarn", 4 * L)])
def test_load_and_evaluate_reproduce_results_json(results, label, length):
    row = results["rows"][label]
    model = lg.load(row["variant"], 0)
    factor = length / L if row["method"] else None
    got = lg.evaluate(model, length, num_sequences=results["num_sequences"], seed=results["eval_seed"],
                      method=row["method"], factor=factor)
    assert got == pytest.approx(row["accuracy"][str(length)][0], abs=1e-6)


def test_results_json_covers_every_variant_seed_and_length(results):
    assert results["seeds"] == [0, 1, 2] and results["lengths"] == [L, 2 * L, 4 * L, 8 * L]
    assert {r[0] for r in lg.table_rows()} == set(results["rows"])
    for v in lg.VARIANTS:   # the bar: every variant learns the task at L
        assert min(results["rows"][v]["accuracy"][str(L)]) >= 0.95, v


def test_evaluate_is_deterministic_and_factor_1_changes_nothing(rope):
    assert lg.evaluate(rope, 2 * L, num_sequences=3, seed=1) == lg.evaluate(rope, 2 * L, num_sequences=3, seed=1)
    for method in lg.METHODS:
        assert (lg.evaluate(rope, L, num_sequences=3, method=method, factor=1.0)
                == lg.evaluate(rope, L, num_sequences=3))


@pytest.mark.parametrize("call, error, needle", [
    (lambda m: lg.load("rope_big", 0), ValueError, "unknown variant"),
    (lambda m: lg.load(3, 0), TypeError, "variant must be a string"),
    (lambda m: lg.load("rope", -1), TypeError, "seed must be"),
    (lambda m: lg.load("rope", 7), FileNotFoundError, "./lab train"),
    (lambda m: lg.train("t5", 0), ValueError, "unknown variant"),
    (lambda m: lg.evaluate(m, 0, num_sequences=2), ValueError, "length must be at least 4"),
    (lambda m: lg.evaluate(m, 3, num_sequences=2), ValueError, "length must be at least 4"),
    (lambda m: lg.evaluate(m, 64.0, num_sequences=2), TypeError, "length must be an int"),
    (lambda m: lg.evaluate(m, 10_000, num_sequences=2), ValueError, "distinct tokens"),
    (lambda m: lg.evaluate(m, 64, num_sequences=0), ValueError, "num_sequences"),
    (lambda m: lg.evaluate(m, 64, num_sequences=2, method="linear", factor=0.5), ValueError, "factor must be >= 1"),
    (lambda m: lg.evaluate(m, 64, num_sequences=2, method="linear", factor="2"), TypeError, "factor must be"),
    (lambda m: lg.evaluate(m, 64, num_sequences=2, method="linear"), ValueError, "needs a factor"),
    (lambda m: lg.evaluate(m, 64, num_sequences=2, factor=2.0), ValueError, "without a method"),
    (lambda m: lg.evaluate(m, 64, num_sequences=2, method="xpos", factor=2), ValueError, "unknown method"),
    (lambda m: lg.evaluate(lg.load("alibi", 0), 64, num_sequences=2, method="ntk", factor=2),
     ValueError, "RoPE models only"),
    (lambda m: lg.evaluate(lg.load("rope_pi", 0), 64, num_sequences=2, method="linear", factor=2),
     ValueError, "built in"),
    (lambda m: lg.evaluate("rope", 64, num_sequences=2), TypeError, "model must be"),
    (lambda m: lg.attention(m, 64, layer=5, head=0), ValueError, "layer must be"),
])
def test_every_bad_argument_gets_a_clear_error(rope, call, error, needle):
    with pytest.raises(error, match=needle):
        call(rope)


def test_attention_rows_are_distributions(rope):
    tokens, w = lg.attention(rope, 2 * L, layer=2, head=3)
    assert tokens.shape == (2 * L,) and w.shape == (2 * L, 2 * L)
    assert torch.allclose(w.sum(-1), torch.ones(2 * L), atol=1e-5)
    assert float(w.triu(1).abs().max()) == 0.0          # causal


def test_the_prediction_is_graded_against_the_measurements(results):
    n = str(4 * results["train_length"])
    means = {v: sum(results["rows"][v]["accuracy"][n]) for v in ("nope", "learned", "sinusoidal", "alibi",
                                                                  "rope", "rope_small")}
    best = max(means, key=means.get)                      # an independent reading of results.json
    assert check("11.best_at_4L", best).passed
    assert check("11.best_at_4L", best.upper()).passed    # another correct form
    wrong = check("11.best_at_4L", "rope")
    assert not wrong.passed and f"the answer is {best!r}" in wrong.message and "2L" in wrong.message
    assert "not done yet" in check("11.best_at_4L", ...).message
    with pytest.raises(ValueError, match="must be one of"):
        check("11.best_at_4L", "rope_pi")


@pytest.mark.slow
def test_retraining_reproduces_the_stored_weights():
    """Train nope seed 0 from scratch exactly as ``./lab train`` does (~50 s CPU on one thread)."""
    import json
    import os

    with open(os.path.join(lg.CHECKPOINT_DIR, "manifest.json")) as f:
        stored = json.load(f)["runs"]["nope_seed0"]["sha256"]
    model = lg.train("nope", 0)
    assert lg.weights_digest(model) == stored
    shipped = lg.load("nope", 0)
    half = {k: v.half().float() for k, v in model.state_dict().items()}
    assert all(torch.equal(half[k], v) for k, v in shipped.state_dict().items())
