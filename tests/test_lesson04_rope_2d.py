"""Lesson 04 (RoPE in two dimensions): the scores, the two-token widget and figure, the exercises.

* ``ropelab.lesson04_rope_2d.scores``: expected values come from independent NumPy float64 code
  written here (explicit rotations, the complex formula), never from the function under test.
* The widget and its figure, tested without a browser: expected numbers come from plain
  trigonometry in the test (rotate with cos/sin, dot product). The widget is computed and drawn
  in the page (``widget.js``); here its Python side: traits set from Python, "move m and n
  together", refused values, ``numbers()`` (what the page's readout marks), the static HTML copy.
* The exercises: the solutions pass, other correct forms pass, and plausible wrong answers fail
  with the right diagnosis; the references are checked against plain trigonometry.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.common.figures import K_COLOR, Q_COLOR
from ropelab.exercises import check, get_exercise
from ropelab.lesson04_rope_2d import (
    additive_terms,
    additive_vs_rotary,
    relative_score,
    rope2d_figure,
    rope2d_state,
    rope2d_widget,
    rope_score,
    score_tables,
)
from ropelab.lesson04_rope_2d.widget import DEFAULT_K, DEFAULT_Q, rope2d_readout
from solutions import lesson04_rope_2d as sol


def np_theta(dim, base=10000.0):
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def np_rotate(v, m, theta):
    """Rotate pair i of v by m * theta[i], written out coordinate by coordinate."""
    v = np.asarray(v, dtype=np.float64)
    out = np.empty_like(v)
    for i, t in enumerate(theta):
        c, s = math.cos(m * t), math.sin(m * t)
        out[..., 2 * i] = v[..., 2 * i] * c - v[..., 2 * i + 1] * s
        out[..., 2 * i + 1] = v[..., 2 * i] * s + v[..., 2 * i + 1] * c
    return out


def np_pairs(v):
    v = np.asarray(v, dtype=np.float64)
    return v[..., 0::2] + 1j * v[..., 1::2]


dims = st.integers(1, 8).map(lambda h: 2 * h)
positions = st.integers(-3000, 3000)


Q = (0.9, -0.4)
K = (0.2, 1.1)


def rot(v, angle):
    c, s = math.cos(angle), math.sin(angle)
    return (v[0] * c - v[1] * s, v[0] * s + v[1] * c)


def expected_score(m, n, theta_deg, q=Q, k=K):
    t = math.radians(theta_deg)
    a, b = rot(q, m * t), rot(k, n * t)
    return a[0] * b[0] + a[1] * b[1]


def readout_score(html: str) -> float:
    m = re.search(r"score ⟨R\(mθ\)q, R\(nθ\)k⟩ = <b>(-?\d+\.\d+)</b>", html)
    assert m, html
    return float(m.group(1))


def readout_shifted(html: str) -> list[tuple[int, int, float]]:
    return [(int(a), int(b), float(v)) for a, b, v in re.findall(r"\((\d+), (\d+)\): (-?\d+\.\d+)", html)]


# ===========================================================================
# the scores (ropelab.lesson04_rope_2d.scores)
# ===========================================================================

# ---------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------

@given(dim=dims, m=positions, n=positions, seed=st.integers(0, 10_000))
def test_rope_score_is_the_dot_product_of_rotated_vectors(dim, m, n, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(3, dim, generator=g, dtype=torch.float64), torch.randn(3, dim, generator=g, dtype=torch.float64)
    th = np_theta(dim)
    expected = (np_rotate(q.numpy(), m, th) * np_rotate(k.numpy(), n, th)).sum(-1)
    got = rope_score(q, k, m, n)
    assert got.shape == (3,) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-9)


@given(dim=dims, m=positions, n=positions, shift=positions, seed=st.integers(0, 10_000))
def test_score_depends_on_m_minus_n_only(dim, m, n, shift, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    a = rope_score(q, k, m, n)
    assert rope_score(q, k, m + shift, n + shift).item() == pytest.approx(a.item(), abs=1e-8)
    assert relative_score(q, k, m - n).item() == pytest.approx(a.item(), abs=1e-8)


def test_relative_score_matches_the_complex_formula_and_broadcasts():
    g = torch.Generator().manual_seed(0)
    q = torch.randn(4, 1, 16, generator=g, dtype=torch.float64)
    k = torch.randn(5, 16, generator=g, dtype=torch.float64)
    r = [-7, 0, 3, 250]
    got = relative_score(q, k, r)
    assert got.shape == (4, 5, 4)
    h = np_pairs(q.numpy()) * np.conj(np_pairs(k.numpy()))                 # (4, 5, 8)
    expected = np.stack([(h * np.exp(1j * d * np_theta(16))).sum(-1).real for d in r], axis=-1)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-10)
    # a number gives no distance axis
    assert relative_score(q, k, 3).shape == (4, 5)
    np.testing.assert_allclose(relative_score(q, k, 3).numpy(), expected[..., 2], atol=1e-10)


def test_custom_frequencies_give_the_2d_case():
    q, k = torch.tensor([1.0, 0.5], dtype=torch.float64), torch.tensor([-0.3, 0.8], dtype=torch.float64)
    theta = 0.37
    for m, n in [(0, 0), (4, 1), (2, 9)]:
        a = (m - n) * theta
        expected = (q[0] * k[0] + q[1] * k[1]) * math.cos(a) + (q[0] * k[1] - q[1] * k[0]) * math.sin(a)
        freqs = torch.tensor([theta], dtype=torch.float64)
        assert rope_score(q, k, m, n, freqs=freqs).item() == pytest.approx(expected.item(), abs=1e-12)
        assert relative_score(q, k, m - n, freqs=freqs).item() == pytest.approx(expected.item(), abs=1e-12)


def test_float32_inputs_stay_float32_and_agree_with_apply_rope():
    g = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g)
    got = rope_score(q, k, 100, 40)
    assert got.dtype == torch.float32
    by_hand = (ropelab.apply_rope(q[:, None], [100]) * ropelab.apply_rope(k[:, None], [40])).sum(-1)[:, 0]
    torch.testing.assert_close(got, by_hand)
    torch.testing.assert_close(relative_score(q, k, 60), got, atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------------------
# additive vs rotary
# ---------------------------------------------------------------------------

def test_additive_vs_rotary_against_numpy():
    g = torch.Generator().manual_seed(0)
    dim = 8
    x_m, x_n = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    w_q = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    w_k = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    out = additive_vs_rotary(x_m, x_n, w_q, w_k, m=5, n=2, shifts=range(0, 6))
    th = np_theta(dim)
    for s in range(6):
        pe_m = np.stack([np.sin((5 + s) * th), np.cos((5 + s) * th)], -1).reshape(-1)
        pe_n = np.stack([np.sin((2 + s) * th), np.cos((2 + s) * th)], -1).reshape(-1)
        add = (w_q.numpy() @ (x_m.numpy() + pe_m)) @ (w_k.numpy() @ (x_n.numpy() + pe_n))
        rot = np_rotate(w_q.numpy() @ x_m.numpy(), 5 + s, th) @ np_rotate(w_k.numpy() @ x_n.numpy(), 2 + s, th)
        assert out["additive"][s].item() == pytest.approx(add, abs=1e-6)
        assert out["rotary"][s].item() == pytest.approx(rot, abs=1e-9)
    assert out["rotary"].max() - out["rotary"].min() < 1e-9
    assert out["additive"].max() - out["additive"].min() > 0.1


def test_score_tables_rotary_is_toeplitz_and_matches_the_shift_curve():
    g = torch.Generator().manual_seed(1)
    dim = 8
    x_m, x_n = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    w_q = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    w_k = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    t = score_tables(x_m, x_n, w_q, w_k, num_positions=12)
    assert t["rotary"].shape == t["additive"].shape == (12, 12)
    for o in range(-11, 12):
        diag = t["rotary"].diagonal(o)
        assert (diag - diag[0]).abs().max() < 1e-9
    curve = additive_vs_rotary(x_m, x_n, w_q, w_k, m=3, n=0, shifts=range(0, 9))
    torch.testing.assert_close(t["additive"].diagonal(-3), curve["additive"])
    torch.testing.assert_close(t["rotary"].diagonal(-3), curve["rotary"])


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def test_clear_errors():
    q = torch.randn(8)
    with pytest.raises(ValueError, match=r"q.shape\[-1\] \(dim\) must be a positive even integer.*got 7"):
        rope_score(torch.randn(7), torch.randn(7), 1, 0)
    with pytest.raises(ValueError, match="same last dimension"):
        relative_score(q, torch.randn(6), 1)
    with pytest.raises(ValueError, match="must broadcast"):
        relative_score(torch.randn(3, 8), torch.randn(4, 8), 1)
    with pytest.raises(TypeError, match="k must be a torch.Tensor"):
        rope_score(q, [1.0] * 8, 1, 0)
    with pytest.raises(ValueError, match=r"freqs must have one frequency per pair, shape \(dim // 2,\) = \(4,\)"):
        relative_score(q, q, 1, freqs=torch.ones(3))
    with pytest.raises(ValueError, match="distance must be finite"):
        relative_score(q, q, float("nan"))
    with pytest.raises(TypeError, match="m must be a real number"):
        rope_score(q, q, "3", 0)
    with pytest.raises(ValueError, match=r"shifts must be >= -min\(m, n\)"):
        additive_vs_rotary(q, q, torch.eye(8), torch.eye(8), 2, 1, shifts=[-2, 0])
    with pytest.raises(ValueError, match=r"w_k must have shape \(dim, dim\) = \(8, 8\)"):
        additive_vs_rotary(q, q, torch.eye(8), torch.eye(6), 2, 1)


# ===========================================================================
# the two-token widget and figure
# ===========================================================================

# ---------------------------------------------------------------------------
# the pure state
# ---------------------------------------------------------------------------

@given(m=st.integers(-50, 50), n=st.integers(-50, 50), theta=st.floats(-360, 360),
       q=st.tuples(st.floats(-3, 3), st.floats(-3, 3)), k=st.tuples(st.floats(-3, 3), st.floats(-3, 3)))
def test_state_rotates_and_scores(m, n, theta, q, k):
    s = rope2d_state(m, n, theta, q, k)
    t = math.radians(theta)
    for got, v, pos in ((s["q_rot"], q, m), (s["k_rot"], k, n)):
        ex = rot(v, pos * t)
        assert got.real == pytest.approx(ex[0], abs=1e-9) and got.imag == pytest.approx(ex[1], abs=1e-9)
    assert s["score"] == pytest.approx(expected_score(m, n, theta, q, k), abs=1e-9)
    # the relative form and the shifted pairs give the same number
    assert s["g"] == pytest.approx(s["score"], abs=1e-9)
    for shift, v in s["shifted"].items():
        assert v == pytest.approx(expected_score(m + shift, n + shift, theta, q, k), abs=1e-9)
        assert v == pytest.approx(s["score"], abs=1e-9)
    assert s["distance"] == m - n


def test_curve_is_the_score_as_a_function_of_m_minus_n():
    s = rope2d_state(4, 9, 25.0, Q, K)
    for r in (-20, -7, 0, 3, 20):
        i = int(np.argmin(np.abs(s["r_grid"] - r)))
        assert s["r_grid"][i] == pytest.approx(r)
        assert s["curve"][i] == pytest.approx(expected_score(r, 0, 25.0), abs=1e-9)


def test_state_rejects_bad_input():
    with pytest.raises(TypeError, match="m must be an integer"):
        rope2d_state(1.5, 0)
    with pytest.raises(ValueError, match="q must be a 2-D vector"):
        rope2d_state(1, 0, 30.0, q=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="m and n must be in"):
        rope2d_widget(m=40)


# ---------------------------------------------------------------------------
# the widget (Python side: the page computes and draws; Python is the reference)
# ---------------------------------------------------------------------------

def expected_numbers(m, n, theta_deg, q=Q, k=K):
    """Every number of the readout, by its data-key, from plain trigonometry."""
    t = math.radians(theta_deg)
    a, b = rot(q, m * t), rot(k, n * t)
    score = expected_score(m, n, theta_deg, q, k)
    angle = math.degrees(math.atan2(a[1], a[0]) - math.atan2(b[1], b[0]))
    angle = (angle + 180) % 360 - 180
    out = {"theta_deg": theta_deg, "m": m, "n": n, "distance": m - n, "score": score, "g": score,
           "angle_between_deg": angle, "max_shift_diff": 0.0}
    for s in (1, 5, 50):
        out.update({f"shifted_{s}_m": m + s, f"shifted_{s}_n": n + s,
                    f"shifted_{s}": expected_score(m + s, n + s, theta_deg, q, k)})
    return out


def assert_numbers(w, m, n, theta_deg, q=Q, k=K):
    got = w.numbers()
    exp = expected_numbers(m, n, theta_deg, q, k)
    assert set(got) == set(exp)
    for key, v in exp.items():
        assert got[key] == pytest.approx(v, abs=1e-9), key
    assert w.state["score"] == pytest.approx(exp["score"], abs=1e-9)


def test_the_widget_starts_from_its_arguments():
    w = rope2d_widget(m=3, n=1, theta_deg=30.0, q=Q, k=K)
    assert w.values() == {"m": 3, "n": 1, "theta_deg": 30.0, "together": False}
    assert w.fixed == {"q": list(Q), "k": list(K)}
    assert w.error == "" and w.language in ("en", "zh")
    assert_numbers(w, 3, 1, 30.0)
    # the defaults, and q, k given as tensors: plain floats for the page
    d = rope2d_widget()
    assert d.values() == {"m": 3, "n": 1, "theta_deg": 30.0, "together": False}
    assert d.fixed == {"q": list(DEFAULT_Q), "k": list(DEFAULT_K)}
    t = rope2d_widget(q=torch.tensor([0.5, -0.25]), k=torch.tensor([[1.0, 2.0]]))
    assert t.fixed == {"q": [0.5, -0.25], "k": [1.0, 2.0]}
    assert all(type(v) is float for v in t.fixed["q"] + t.fixed["k"])


@pytest.mark.parametrize("moves", [
    [("m", 11)],
    [("n", 7)],
    [("theta_deg", 75.0)],
    [("m", 0), ("n", 20), ("theta_deg", 137.0)],
    [("theta_deg", 0.0), ("m", 20), ("n", 0)],
    [("theta_deg", 180.0), ("m", 9)],
])
def test_setting_each_trait_from_python_changes_state_and_numbers(moves):
    w = rope2d_widget(m=3, n=1, theta_deg=30.0, q=Q, k=K)
    values = {"m": 3, "n": 1, "theta_deg": 30.0}
    for name, v in moves:
        setattr(w, name, v)
        values[name] = v
        assert getattr(w, name) == v and w.error == ""
        assert_numbers(w, values["m"], values["n"], values["theta_deg"])
        assert w.state["distance"] == values["m"] - values["n"]


def test_numbers_for_other_values_leave_the_widget_as_it_is():
    w = rope2d_widget(q=Q, k=K)
    got = w.numbers({"m": 17, "n": 4, "theta_deg": 41.0, "together": True})
    exp = expected_numbers(17, 4, 41.0)
    assert got == pytest.approx(exp, abs=1e-9)
    assert w.values() == {"m": 3, "n": 1, "theta_deg": 30.0, "together": False}


def test_moving_both_positions_by_the_same_amount_keeps_the_score():
    w = rope2d_widget(m=4, n=1, theta_deg=40.0, q=Q, k=K)
    first = w.state["score"]
    w.m = 12     # m - n = 11: another score
    assert w.state["score"] == pytest.approx(expected_score(12, 1, 40.0), abs=1e-9)
    assert abs(w.state["score"] - first) > 1e-3
    w.n = 9      # m - n = 3 again, at other absolute positions
    assert w.state["score"] == pytest.approx(first, abs=1e-12)
    nums = w.numbers()
    for s in (1, 5, 50):
        assert nums[f"shifted_{s}_m"] - nums[f"shifted_{s}_n"] == 3
        assert nums[f"shifted_{s}"] == pytest.approx(expected_score(12 + s, 9 + s, 40.0), abs=1e-9)
    assert nums["max_shift_diff"] < 1e-9


def test_curve_of_the_state_is_the_score_at_every_distance():
    w = rope2d_widget(m=2, n=5, theta_deg=33.0, q=Q, k=K)
    s = w.state
    assert len(s["r_grid"]) == len(s["curve"]) == 401
    assert s["r_grid"][0] == -20 and s["r_grid"][-1] == 20
    t = math.radians(33.0)
    qk = Q[0] * K[0] + Q[1] * K[1]
    cross = Q[0] * K[1] - Q[1] * K[0]
    expected = qk * np.cos(s["r_grid"] * t) + cross * np.sin(s["r_grid"] * t)
    np.testing.assert_allclose(s["curve"], expected, atol=1e-12)


def test_together_moves_the_partner_by_the_same_amount():
    w = rope2d_widget(m=6, n=2, theta_deg=30.0, q=Q, k=K)
    score = w.state["score"]
    w.together = True
    changes = []
    w.observe(lambda c: changes.append((c["name"], c["new"])), names=["m", "n"])
    w.m = 10
    assert (w.m, w.n) == (10, 6)
    assert sorted(changes) == [("m", 10), ("n", 6)], "one move: each position changes once"
    assert w.state["score"] == pytest.approx(score, abs=1e-12)
    assert_numbers(w, 10, 6, 30.0)
    w.n = 0
    assert (w.m, w.n) == (4, 0)
    # at the end of the range both stop together and m - n is kept
    w.m = 20
    assert (w.m, w.n) == (20, 16)
    changes.clear()
    w.n = 20                      # m cannot follow: neither moves
    assert (w.m, w.n) == (20, 16) and changes == []
    w.n = 18                      # 2 up: m can only go 0 up
    assert (w.m, w.n) == (20, 16)
    w.m = 0                       # 20 down: n only 16
    assert (w.m, w.n) == (4, 0)
    assert w.state["score"] == pytest.approx(expected_score(4, 0, 30.0), abs=1e-9)
    assert w.state["score"] == pytest.approx(score, abs=1e-12)
    # theta is not coupled
    w.theta_deg = 50.0
    assert (w.m, w.n) == (4, 0)
    # switched off, the positions are independent again
    w.together = False
    w.n = 3
    assert (w.m, w.n) == (4, 3)


def test_values_from_the_page_are_already_coupled_and_not_moved_again():
    w = rope2d_widget(m=6, n=2, q=Q, k=K)
    w.together = True
    w.set_state({"m": 9, "n": 5})       # the page moved both (its couple)
    assert (w.m, w.n) == (9, 5)
    w.set_state({"n": 1, "m": 5})
    assert (w.m, w.n) == (5, 1)
    w.set_state({"theta_deg": 12.0})
    assert (w.m, w.n, w.theta_deg) == (5, 1, 12.0)
    assert_numbers(w, 5, 1, 12.0)


def test_together_is_not_an_argument_and_constructing_is_not_a_move():
    import inspect

    assert "together" not in inspect.signature(rope2d_widget).parameters
    from ropelab.lesson04_rope_2d.widget import Rope2DWidget

    w = Rope2DWidget(together=True, m=8, n=3, fixed={"q": list(Q), "k": list(K)})
    assert w.values() == {"m": 8, "n": 3, "theta_deg": 30.0, "together": True}


REFUSED = [
    ("m", 21, ValueError, r"m and n must be in \[0, 20\] for the sliders; got m = 21, n = 1"),
    ("m", -1, ValueError, r"m and n must be in \[0, 20\] for the sliders; got m = -1, n = 1"),
    ("n", 40, ValueError, r"m and n must be in \[0, 20\] for the sliders; got m = 3, n = 40"),
    ("theta_deg", 200.0, ValueError, r"theta_deg must be in \[0, 180\] for the slider; got 200.0"),
    ("theta_deg", -5.0, ValueError, r"theta_deg must be in \[0, 180\] for the slider; got -5.0"),
    ("theta_deg", float("nan"), ValueError, r"theta_deg must be finite"),
    ("m", 1.5, TypeError, r"m must be an integer; got 1.5"),
    ("n", "2", TypeError, r"n must be an integer"),
]


@pytest.mark.parametrize("together", [False, True])
@pytest.mark.parametrize("name, value, error, message", REFUSED, ids=[f"{r[0]}={r[1]!r}" for r in REFUSED])
def test_a_refused_value_raises_and_leaves_every_trait_as_it_was(name, value, error, message, together):
    w = rope2d_widget(m=3, n=1, theta_deg=30.0, q=Q, k=K)
    w.together = together
    before = w.values()
    with pytest.raises(error, match=message):
        setattr(w, name, value)
    assert w.values() == before
    assert "not applied" in w.error and re.search(message, w.error), w.error
    assert_numbers(w, 3, 1, 30.0)
    w.n = 2                                        # a good value: the error goes
    assert w.error == "" and w.n == 2


def test_a_refused_value_then_a_good_one_is_like_a_fresh_widget():
    w = rope2d_widget()
    with pytest.raises(ValueError, match="theta_deg"):
        w.theta_deg = float("nan")
    w.m = 7
    fresh = rope2d_widget(m=7)
    assert w.values() == fresh.values() and w.numbers() == fresh.numbers() and w.error == ""
    assert w._repr_mimebundle_()[0]["text/html"] == fresh._repr_mimebundle_()[0]["text/html"]


def test_repr_is_short_and_deterministic():
    assert repr(rope2d_widget()) == "rope2d_widget(m=3, n=1, theta_deg=30, together=False)"
    w = rope2d_widget(m=12, n=0, theta_deg=22.5, q=Q, k=K)
    w.together = True
    assert repr(w) == "rope2d_widget(m=12, n=0, theta_deg=22.5, together=True)"


def test_mimebundle_has_the_view_text_and_a_static_html_copy():
    w = rope2d_widget(m=5, n=2, theta_deg=45.0, q=Q, k=K)
    data, _ = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == repr(w)
    html = data["text/html"]
    source = (Path(ropelab.__file__).parent / "lesson04_rope_2d" / "widget.js").read_text(encoding="utf-8")
    assert source in html and "couple(name, values, old, specs)" in html
    assert 'data-widget="rope2d_widget"' in html and "ropelabMount(WIDGET" in html
    state = json.loads(re.search(r"ropelabStaticModel\((\{.*?\})\)", html).group(1))
    assert state == {"m": 5, "n": 2, "theta_deg": 45.0, "together": False, "language": w.language,
                     "fixed": {"q": list(Q), "k": list(K)}, "error": ""}
    assert html == rope2d_widget(m=5, n=2, theta_deg=45.0, q=Q, k=K)._repr_mimebundle_()[0]["text/html"]
    assert html != rope2d_widget(m=6, n=2, theta_deg=45.0, q=Q, k=K)._repr_mimebundle_()[0]["text/html"]


def test_the_readout_function_shows_the_numbers_of_the_state():
    html = rope2d_readout(rope2d_state(12, 9, 40.0, Q, K))
    assert readout_score(html) == pytest.approx(expected_score(12, 9, 40.0), abs=6e-5)
    assert "m − n = 3" in html and "unchanged ✓" in html
    pairs = readout_shifted(html)
    assert [(a, b) for a, b, _ in pairs] == [(13, 10), (17, 14), (62, 59)]
    for a, b, v in pairs:
        assert v == pytest.approx(expected_score(a, b, 40.0), abs=6e-5)


def test_static_figure_matches_the_widget_state():
    fig = rope2d_figure(m=3, n=1, theta_deg=30.0, q=Q, k=K)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(f"score = {expected_score(3, 1, 30.0):.3f}" in t for t in titles)
    assert repr(rope2d_widget()) == "rope2d_widget(m=3, n=1, theta_deg=30, together=False)"


@pytest.mark.parametrize("theta_deg", [200, 180.5, -5.0])
def test_a_theta_outside_the_slider_is_refused_not_clamped(theta_deg):
    with pytest.raises(ValueError, match=rf"theta_deg must be in \[0, 180\] for the slider; got {theta_deg}"):
        rope2d_widget(theta_deg=theta_deg)
    assert rope2d_widget(theta_deg=180).theta_deg == 180.0


@pytest.mark.parametrize("m, n", [(21, 0), (0, 21), (-1, 3)])
def test_a_position_outside_the_slider_is_refused_not_clamped(m, n):
    with pytest.raises(ValueError, match=rf"m and n must be in \[0, 20\] for the sliders; got m = {m}, n = {n}"):
        rope2d_widget(m=m, n=n)
    assert rope2d_widget(m=20, n=0).values()["m"] == 20


# ===========================================================================
# the exercises
# ===========================================================================

# ---------------------------------------------------------------------------
# the references agree with trigonometry written out by hand
# ---------------------------------------------------------------------------

def test_rope_2d_reference_is_a_rotation_by_position_times_theta():
    ex = get_exercise("04.rope_2d")
    for x, positions, theta in ex.cases():
        got = ex.reference(x, positions, theta)
        for j in range(x.shape[0]):
            a = positions[j].item() * theta
            c, s = math.cos(a), math.sin(a)
            x1, x2 = x[j].tolist()
            assert got[j].tolist() == pytest.approx([x1 * c - x2 * s, x1 * s + x2 * c], abs=1e-5)


def test_relative_score_reference_is_the_dot_product_of_rotated_vectors():
    ex = get_exercise("04.relative_score_2d")
    for q, k, distance, theta in ex.cases():
        got = ex.reference(q, k, distance, theta)
        assert got.dtype == torch.float32 and got.shape == (q.shape[0],)
        m, n = distance + 7, 7  # any absolute pair with m - n = distance
        for j in range(q.shape[0]):
            cm, sm = math.cos(m * theta), math.sin(m * theta)
            cn, sn = math.cos(n * theta), math.sin(n * theta)
            q1, q2 = q[j].tolist()
            k1, k2 = k[j].tolist()
            dot = (q1 * cm - q2 * sm) * (k1 * cn - k2 * sn) + (q1 * sm + q2 * cm) * (k1 * sn + k2 * cn)
            assert got[j].item() == pytest.approx(dot, abs=1e-5)


def test_cases_exercise_the_sine_term():
    """A sign error only shows when (m - n) * theta is not a multiple of pi."""
    for _q, _k, distance, theta in get_exercise("04.relative_score_2d").cases():
        assert abs(math.sin(distance * theta)) > 1e-3


# ---------------------------------------------------------------------------
# other correct forms pass
# ---------------------------------------------------------------------------

def _rope_2d_complex(x, positions, theta):
    z = torch.view_as_complex(x.contiguous())
    turn = torch.polar(torch.ones(x.shape[0]), positions.float() * theta)
    return torch.view_as_real(z * turn)


def _rope_2d_matrix(x, positions, theta):
    a = positions.double() * theta
    R = torch.stack((torch.stack((a.cos(), -a.sin()), -1), torch.stack((a.sin(), a.cos()), -1)), -2)
    return (R @ x.double().unsqueeze(-1)).squeeze(-1).float()


def _score_by_rotating(q, k, distance, theta):
    qr = _rope_2d_matrix(q, torch.full((q.shape[0],), distance), theta)
    return (qr * k).sum(-1)


@pytest.mark.parametrize("exercise_id, fn", [
    ("04.rope_2d", _rope_2d_complex),
    ("04.rope_2d", _rope_2d_matrix),
    ("04.relative_score_2d", _score_by_rotating),
])
def test_other_correct_forms_pass(exercise_id, fn):
    result = check(exercise_id, fn)
    assert result.passed, result.message


# ---------------------------------------------------------------------------
# plausible wrong answers fail with the right diagnosis
# ---------------------------------------------------------------------------

def _clockwise(x, positions, theta):
    return sol.rope_2d(x, positions, -theta)


def _forgot_position(x, positions, theta):
    return sol.rope_2d(x, torch.ones_like(positions), theta)


def _stacked_on_dim0(x, positions, theta):
    return sol.rope_2d(x, positions, theta).T


def _in_place(x, positions, theta):
    out = sol.rope_2d(x, positions, theta)
    x.copy_(out)
    return x


def _degrees(x, positions, theta):
    return sol.rope_2d(x, positions, math.degrees(theta))


def _loops_over_python_floats(x, positions, theta):
    return [sol.rope_2d(x, positions, theta)[j].tolist() for j in range(x.shape[0])]


def _conj_on_q(q, k, distance, theta):
    return sol.relative_score_2d(k, q, distance, theta)          # Re[k conj(q) e^{i r theta}]: sign of r flipped


def _abs_not_real(q, k, distance, theta):
    qc, kc = torch.view_as_complex(q.contiguous()), torch.view_as_complex(k.contiguous())
    return (qc * kc.conj() * complex(math.cos(distance * theta), math.sin(distance * theta))).abs()


def _kept_complex(q, k, distance, theta):
    qc, kc = torch.view_as_complex(q.contiguous()), torch.view_as_complex(k.contiguous())
    return qc * kc.conj() * complex(math.cos(distance * theta), math.sin(distance * theta))


def _keepdim(q, k, distance, theta):
    return sol.relative_score_2d(q, k, distance, theta)[:, None]


def _no_position(q, k, distance, theta):
    return (q * k).sum(-1)


WRONG = [
    ("04.rope_2d", _clockwise, "wrong values"),
    ("04.rope_2d", _forgot_position, "wrong values"),
    ("04.rope_2d", _degrees, "wrong values"),
    ("04.rope_2d", _stacked_on_dim0, "wrong shape"),
    ("04.rope_2d", _in_place, "changed its input in place"),
    ("04.rope_2d", _loops_over_python_floats, "should be a torch.Tensor"),
    ("04.relative_score_2d", _conj_on_q, "wrong values"),
    ("04.relative_score_2d", _abs_not_real, "wrong values"),
    ("04.relative_score_2d", _kept_complex, "wrong dtype"),
    ("04.relative_score_2d", _keepdim, "wrong shape"),
    ("04.relative_score_2d", _no_position, "wrong values"),
]


@pytest.mark.parametrize("exercise_id, fn, diagnosis", WRONG, ids=[f"{e}-{f.__name__}" for e, f, _ in WRONG])
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message


def test_a_crash_is_reported_as_raised():
    def crashes(x, positions, theta):
        return torch.stack((x[:, 0] * torch.cos(positions * theta), x[:, 1]), dim=2)  # dim 2 does not exist

    result = check("04.rope_2d", crashes)
    assert not result.passed and "raised IndexError" in result.message


# ---------------------------------------------------------------------------
# the two-token figure: the angle label clears the arrows, the legend matches the arrows
# ---------------------------------------------------------------------------

def _drawn(m, n, theta_deg):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = rope2d_figure(m=m, n=n, theta_deg=theta_deg)
    FigureCanvasAgg(fig).draw()
    return fig, fig.axes[0]


@pytest.mark.parametrize("m, n, theta_deg", [(3, 1, 30.0), (6, 1, 30.0), (4, 4, 30.0), (2, 0, 10.0), (9, 1, 21.0)])
def test_the_angle_label_does_not_sit_on_an_arrow(m, n, theta_deg):
    fig, ax = _drawn(m, n, theta_deg)
    (label,) = [t for t in ax.texts if t.get_text().endswith("°")]
    box = label.get_window_extent()
    state = rope2d_state(m, n, theta_deg)
    for tip in (state["q_rot"], state["k_rot"]):
        pts = np.linspace(0, 1, 400)[:, None] * np.array([[tip.real, tip.imag]])
        disp = ax.transData.transform(pts)
        inside = ((disp[:, 0] > box.x0 - 3) & (disp[:, 0] < box.x1 + 3)
                  & (disp[:, 1] > box.y0 - 3) & (disp[:, 1] < box.y1 + 3))
        assert not inside.any(), f"label {label.get_text()} overlaps an arrow at (m, n) = ({m}, {n})"
    lim = ax.get_xlim()[1]
    x, y = label.get_position()
    assert abs(x) < lim and abs(y) < lim, "the label stays inside the plot"


def test_the_legend_shows_the_faint_arrows_in_their_own_colours():
    from matplotlib.colors import to_rgba

    _, ax = _drawn(3, 1, 30.0)
    handles = dict(zip([t.get_text() for t in ax.get_legend().get_texts()], ax.get_legend().legend_handles))
    assert "q before rotation" in handles and "k before rotation" in handles
    assert not any("q, k before" in label for label in handles)
    for label, color in (("q before rotation", Q_COLOR), ("k before rotation", K_COLOR)):
        h = handles[label]
        assert to_rgba(h.get_color())[:3] == to_rgba(color)[:3] and h.get_alpha() < 0.5


# ---------------------------------------------------------------------------
# additive_terms: which terms of the additive score move
# ---------------------------------------------------------------------------

def test_additive_terms_sum_to_the_additive_score_and_match_numpy():
    gen = torch.Generator().manual_seed(3)
    d = 8
    x_m, x_n = torch.randn(d, generator=gen, dtype=torch.float64), torch.randn(d, generator=gen, dtype=torch.float64)
    w_q = torch.randn(d, d, generator=gen, dtype=torch.float64)
    w_k = torch.randn(d, d, generator=gen, dtype=torch.float64)
    theta = np_theta(d)
    for m, n in [(5, 2), (15, 12), (0, 9)]:
        t = additive_terms(x_m, x_n, w_q, w_k, m, n)
        pm = np.zeros(d)
        pn = np.zeros(d)
        pm[0::2], pm[1::2] = np.sin(m * theta), np.cos(m * theta)
        pn[0::2], pn[1::2] = np.sin(n * theta), np.cos(n * theta)
        A = w_q.numpy().T @ w_k.numpy()
        xm, xn = x_m.numpy(), x_n.numpy()
        for key, value in (("x_x", xm @ A @ xn), ("x_p", xm @ A @ pn), ("p_x", pm @ A @ xn), ("p_p", pm @ A @ pn),
                           ("p_dot_p", pm @ pn)):
            assert t[key].item() == pytest.approx(value, abs=1e-5), key   # the table is float32
        score = additive_vs_rotary(x_m, x_n, w_q, w_k, m, n, [0])["additive"][0]
        assert t["total"].item() == pytest.approx(score.item(), abs=1e-12)


def test_only_the_weightless_position_term_is_shift_invariant():
    gen = torch.Generator().manual_seed(0)
    d = 8
    x_m, x_n = torch.randn(d, generator=gen, dtype=torch.float64), torch.randn(d, generator=gen, dtype=torch.float64)
    w_q = torch.randn(d, d, generator=gen, dtype=torch.float64) / d ** 0.5
    w_k = torch.randn(d, d, generator=gen, dtype=torch.float64) / d ** 0.5
    rows = [additive_terms(x_m, x_n, w_q, w_k, m, m - 3) for m in (5, 15, 25)]
    spread = {key: max(r[key].item() for r in rows) - min(r[key].item() for r in rows) for key in rows[0]}
    assert spread["x_x"] < 1e-12 and spread["p_dot_p"] < 1e-6
    assert spread["x_p"] > 0.1 and spread["p_x"] > 0.1 and spread["p_p"] > 0.1
    eye = torch.eye(d, dtype=torch.float64)   # no weights between the positions: p_m . p_n again
    pp = [additive_terms(x_m, x_n, eye, eye, m, m - 3)["p_p"].item() for m in (5, 15, 25)]
    assert max(pp) - min(pp) < 1e-6


# ---------------------------------------------------------------------------
# the predictions
# ---------------------------------------------------------------------------

def test_moved_together_answer_is_the_score_at_both_positions():
    answer = get_exercise("04.moved_together").answer
    assert answer == pytest.approx(expected_score(3, 1, 30.0, DEFAULT_Q, DEFAULT_K), abs=1e-12)
    assert answer == pytest.approx(rope2d_state(10, 8, 30.0)["score"], abs=1e-12)
    assert f"{answer:.3f}" == "1.078"   # the number the question quotes from the figure


@pytest.mark.parametrize("value", [1.078, 1.0776, 1.08])
def test_moved_together_right_answers_pass(value):
    assert check("04.moved_together", value).passed


@pytest.mark.parametrize("value", [0.0, -1.078, 0.5, 1.1])
def test_moved_together_wrong_answers_fail_with_the_explanation(value):
    result = check("04.moved_together", value)
    assert not result.passed and "Only the distance reaches the score" in result.message


def test_score_period_answer_is_the_first_distance_where_every_score_repeats():
    step = torch.tensor([math.radians(30)], dtype=torch.float64)
    gen = torch.Generator().manual_seed(5)
    q = torch.randn(50, 2, generator=gen, dtype=torch.float64)
    k = torch.randn(50, 2, generator=gen, dtype=torch.float64)
    g = relative_score(q, k, range(0, 40), freqs=step)
    first = next(r for r in range(1, 40) if torch.allclose(g[:, r], g[:, 0], atol=1e-9))
    assert first == get_exercise("04.score_period").answer == 12


@pytest.mark.parametrize("value, right", [(12, True), (12.0, True), (6, False), (24, False), (30, False)])
def test_score_period_predictions_are_graded(value, right):
    result = check("04.score_period", value)
    assert result.passed is right and "360 / 30 = 12" in result.message


def test_every_exercise_of_lesson_04_has_two_or_three_hint_stages():
    from ropelab.common.exercises import Prediction
    from ropelab.exercises import list_exercises

    ids = [e for e in list_exercises("04.") if not isinstance(get_exercise(e), Prediction)]
    assert ids
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert 2 <= len(hints) <= 3 and all(len(h) > 20 for h in hints), exercise_id
