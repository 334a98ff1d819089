"""The shared exercise checker: helpful diagnoses, and every exercise has a passing solution."""
import importlib
import inspect
import signal
import threading
import time
import warnings
from pathlib import Path

import pytest
import torch

from ropelab.common.exercises import Prediction, compare_tensors, reset_hints
from ropelab.exercises import Exercise, check, get_exercise, list_exercises, register


def _make(gen):
    return (torch.randn(3, 4, generator=gen),)


def _ref(x):
    return x.sum(dim=-1)


EX = register(Exercise(id="test.row_sums", title="row sums", reference=_ref, make_inputs=_make,
                       hints="sum over the last dimension"))


def _two(x):
    return x.sum(dim=-1), x.max(dim=-1).values


EX2 = register(Exercise(id="test.two_outputs", title="two outputs", reference=_two, make_inputs=_make))


def test_correct_answer_passes():
    res = check("test.row_sums", lambda x: x.sum(-1))
    assert res.passed and bool(res) and "passed all 5" in res.message


@pytest.mark.parametrize("fn,needle", [
    (lambda x: None, "returned None"),
    (lambda x: x.sum(-1).tolist(), "returned a list"),
    (lambda x: x.sum(0), "wrong shape"),
    (lambda x: x, "wrong shape"),
    (lambda x: x.sum(-1).double(), "wrong dtype"),
    (lambda x: x.sum(-1) + (x[:, :1].squeeze(-1) > 10).float() + torch.tensor([0.0, 0.5, 0.0]), "index [1]"),
    (lambda x: x.mean(-1), "wrong values"),
    (lambda x: undefined_name, "raised NameError"),  # noqa: F821
])
def test_wrong_answers_fail_with_a_diagnosis(fn, needle):
    res = check("test.row_sums", fn)
    assert not res.passed and not bool(res)
    assert needle in res.message, res.message
    assert "hint: sum over the last dimension" in res.message


def test_transposed_result_gets_a_transpose_hint():
    ex = register(Exercise(id="test.transpose", title="t", reference=lambda x: x * 2, make_inputs=_make))
    res = check(ex.id, lambda x: (x * 2).T)
    assert "expected (3, 4), got (4, 3)" in res.message and "transpose" in res.message


def test_values_report_expected_and_got_at_the_first_difference():
    res = check("test.row_sums", lambda x: x.sum(-1) + torch.tensor([0.0, 0.5, 0.0]))
    assert "first at index [1]" in res.message and "1 of 3 elements differ" in res.message


def test_stub_is_reported_as_not_done():
    def stub(x):
        raise NotImplementedError

    res = check("test.row_sums", stub)
    assert not res.passed and "not done yet" in res.message and "❌" not in res.message


def test_in_place_change_of_an_input_is_caught():
    def sneaky(x):
        x.mul_(0)
        return _ref(x) * 0 + _ref(x)

    assert "in place" in check("test.row_sums", sneaky).message


def test_tuple_outputs():
    assert check("test.two_outputs", _two).passed
    res = check("test.two_outputs", lambda x: x.sum(-1))
    assert "should return 2 values" in res.message
    res = check("test.two_outputs", lambda x: (x.sum(-1), x.min(-1).values))
    assert "output number 2" in res.message, res.message   # the second output, counted from 1
    res = check("test.two_outputs", lambda x: (x.mean(-1), x.max(-1).values))
    assert "output number 1" in res.message, res.message


def test_compare_tensors_accepts_close_values_and_booleans():
    a = torch.tensor([1.0, 2.0])
    assert compare_tensors(a, a + 1e-7, atol=1e-5, rtol=1e-5) is None
    m = torch.tensor([True, False])
    assert compare_tensors(m, ~m, atol=0, rtol=0).startswith("wrong values")


ANY_DTYPE = register(Exercise(id="test.row_sums_any_dtype", title="row sums, any float dtype", reference=_ref,
                              make_inputs=_make, check_dtype=False, hints="sum over the last dimension"))


@pytest.mark.parametrize("exercise_id", ["test.row_sums", "test.row_sums_any_dtype"])
def test_a_complex_answer_to_a_real_exercise_fails_and_says_so(exercise_id):
    def kept_complex(x):   # right real part, but the complex intermediate was returned
        return torch.complex(x, 0.3 * x).sum(-1)

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no "casting complex values to real" warning either
        res = check(exercise_id, kept_complex)
    assert not res.passed, res.message
    assert "complex" in res.message and "real tensor" in res.message and ".real" in res.message, res.message
    assert "(torch.complex128)" in check(exercise_id, lambda x: x.sum(-1).to(torch.complex128)).message
    # the same answer with the real part kept passes; the real form of any float dtype passes without check_dtype
    assert check(exercise_id, lambda x: kept_complex(x).real).passed
    assert check("test.row_sums_any_dtype", lambda x: x.double().sum(-1)).passed


def _magnitudes(gen):   # 1e-3 ... 1e3, random signs
    return (torch.logspace(-3, 3, 13) * torch.randn(13, generator=gen).sign(),)


SCALED = register(Exercise(id="test.scaled", title="scale by 3/7", reference=lambda x: x * 3 / 7,
                           make_inputs=_magnitudes))


def test_the_default_tolerance_rejects_5_percent_and_accepts_float32_rounding():
    # magnitudes from 1e-3 to 1e3: 5 % off must fail at every one, one float32 rounding step must pass
    for k in range(13):
        def five_percent_off(x, k=k):
            out = x * 3 / 7
            out[k] *= 1.05
            return out

        res = check("test.scaled", five_percent_off)
        assert not res.passed and f"index [{k}]" in res.message, (k, res.message)
    assert check("test.scaled", lambda x: x * 3 / 7 * (1 + 1e-6)).passed
    assert check("test.scaled", lambda x: x * 3 / 7 * (1 - 1e-6)).passed
    assert check("test.scaled", lambda x: (x.double() * 3 / 7).float()).passed   # rounded once, not twice
    assert check("test.scaled", lambda x: x * (3 / 7)).passed                    # another rounding order


def test_a_function_that_never_returns_fails_within_the_time_limit():
    def forever(x):
        while True:
            try:
                pass
            except Exception:   # a learner's catch-all must not swallow the time limit
                pass

    handler = signal.getsignal(signal.SIGALRM)
    res = check("test.row_sums", forever, time_limit=0.5)   # returning at all shows the limit stopped it
    assert not res.passed and "on case 1" in res.message, res.message
    assert "your function did not return within 0.5 s" in res.message, res.message
    assert "hint: sum over the last dimension" in res.message
    assert signal.getsignal(signal.SIGALRM) is handler and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert check("test.row_sums", lambda x: x.sum(-1), time_limit=0.5).passed   # and checking goes on


def test_the_time_limit_is_for_all_cases_together():
    def slow(x):
        time.sleep(0.2)
        return x.sum(-1)

    res = check("test.row_sums", slow, time_limit=0.5)
    assert not res.passed and "did not return within 0.5 s" in res.message, res.message
    assert res.case is not None and res.case >= 1   # the first cases finished in time
    assert check("test.row_sums", slow, time_limit=None).passed


def test_outside_the_main_thread_there_is_no_limit_and_no_error():
    results = []
    worker = threading.Thread(target=lambda: results.append(check("test.row_sums", lambda x: x.sum(-1),
                                                                  time_limit=0.5)))
    worker.start()
    worker.join()
    assert results and results[0].passed, results


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "10", True])
def test_bad_time_limits_are_refused(bad):
    with pytest.raises(ValueError, match="time_limit must be a positive number of seconds"):
        check("test.row_sums", lambda x: x.sum(-1), time_limit=bad)


def test_cases_are_deterministic():
    a, b = EX.cases(), EX.cases()
    assert all(torch.equal(x[0], y[0]) for x, y in zip(a, b))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown exercise_id 'nope'"):
        get_exercise("nope")
    with pytest.raises(TypeError, match="fn"):
        check("test.row_sums", 3)
    with pytest.raises(ValueError, match="already registered"):
        register(Exercise(id="test.row_sums", title="dup", reference=_ref, make_inputs=_make))


def _solutions(number: str):
    """``solutions/lessonNN_topic.py``: the worked solutions of notebook NN (named like the notebook)."""
    (path,) = (Path(__file__).resolve().parents[1] / "solutions").glob(f"lesson{number}_*.py")
    return importlib.import_module(f"solutions.{path.stem}")


def _notebook_exercises():
    return [e for e in list_exercises() if not e.startswith("test.")]


@pytest.mark.parametrize("exercise_id", _notebook_exercises())
def test_every_exercise_has_a_passing_solution(exercise_id):
    number, name = exercise_id.split(".", 1)
    module = _solutions(number)
    solution = getattr(module, name, None)
    assert solution is not None, f"solutions/{module.__name__.split('.')[-1]}.py has no function {name}()"
    res = check(exercise_id, solution)
    assert res.passed, res.message


@pytest.mark.parametrize("exercise_id", _notebook_exercises())
def test_every_stub_is_reported_as_not_done_with_a_hint(exercise_id):
    def stub(*args):
        raise NotImplementedError

    if isinstance(get_exercise(exercise_id), Prediction):
        res = check(exercise_id, ...)   # the notebook's stub: `prediction = ...`
        assert not res.passed and "not done yet" in res.message and "prediction" in res.message
        return
    res = check(exercise_id, stub)
    assert not res.passed and "not done yet" in res.message and "hint" in res.message


STAGED = register(Exercise(id="test.staged", title="row sums", reference=_ref, make_inputs=_make,
                           hints=("what does one row add up to?", "reduce one dimension",
                                  "x.sum(dim=...) with the right dim")))


def test_hints_come_in_stages_and_the_last_one_stays():
    reset_hints()

    def wrong(x):
        return x.sum(dim=-1) + 1

    first, second, third, fourth = (check("test.staged", wrong).message for _ in range(4))
    assert "hint 1 of 3: what does one row add up to?" in first and "more concrete" in first
    assert "hint 2 of 3: reduce one dimension" in second and "reduce" not in first
    assert "hint 3 of 3: x.sum(dim=...)" in third and "more concrete" not in third
    assert "hint 3 of 3" in fourth
    reset_hints("test.staged")
    assert "hint 1 of 3" in check("test.staged", wrong).message


def test_a_stub_gets_the_first_hint_and_does_not_count_as_a_try():
    reset_hints()

    def stub(x):
        raise NotImplementedError

    for _ in range(3):
        assert "hint 1 of 3" in check("test.staged", stub).message


def test_no_hint_of_a_notebook_exercise_prints_a_line_of_its_solution(root):
    """Hints nudge; they never print the solution: no statement of a worked solution (beyond a
    trivial one) appears in any stage of its hints, spaces ignored."""
    import ast
    import textwrap

    leaks = []
    for exercise_id in _notebook_exercises():
        ex = get_exercise(exercise_id)
        if isinstance(ex, Prediction):
            continue
        number, name = exercise_id.split(".", 1)
        fn = getattr(_solutions(number), name)
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
        for node in ast.walk(tree):
            if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign)) and node.value is not None:
                code = ast.unparse(node.value).replace(" ", "")
                if len(code) >= 20 and any(code in h.replace(" ", "") for h in ex.hints):
                    leaks.append(f"{exercise_id}: {ast.unparse(node.value)}")
    assert not leaks, "hints that print a solution line:\n" + "\n".join(leaks)


def test_a_close_miss_says_which_tolerance_it_missed():
    res = check("test.row_sums", lambda x: x.sum(dim=-1) * (1 + 2e-4))
    assert not res.passed and "off by" in res.message and "atol 1e-05" in res.message, res.message
    far = check("test.row_sums", lambda x: x.sum(dim=-1) + 10)
    assert not far.passed and "off by" not in far.message


NUMBER = register(Prediction(id="test.pairs", question="how many pairs?", answer=17, rtol=0.0, atol=0.5,
                             explain="Count the pairs whose period exceeds the length."))
CHOICE = register(Prediction(id="test.layout", question="which layout?", answer="half",
                             choices=("interleaved", "half"), explain="Hugging Face pairs (i, i + d/2)."))


def test_a_prediction_is_graded_and_explained_right_or_wrong():
    right = check("test.pairs", 17)
    assert right.passed and "right" in right.message and "Count the pairs" in right.message
    wrong = check("test.pairs", 18)
    assert not wrong.passed and "the answer is 17" in wrong.message and "Count the pairs" in wrong.message
    assert check("test.pairs", torch.tensor(17.0)).passed          # another correct form
    assert check("test.layout", " Half ").passed                     # case and spaces do not matter
    assert not check("test.layout", "interleaved").passed


def test_a_prediction_not_made_yet_and_bad_predictions():
    assert "not done yet" in check("test.pairs", ...).message
    assert "one of 'interleaved', 'half'" in check("test.layout", ...).message
    with pytest.raises(TypeError, match="must be a number"):
        check("test.pairs", "seventeen")
    with pytest.raises(ValueError, match="finite"):
        check("test.pairs", float("nan"))
    with pytest.raises(ValueError, match="must be one of"):
        check("test.layout", "diagonal")


def _ids_checked_in_notebooks(root) -> dict[str, set[str]]:
    import json
    import re

    found = {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        found[path.stem[:2]] = set(re.findall(r"check\(\s*[\"'](\d\d\.\w+)[\"']", code))
    return found


def test_each_notebook_checks_exactly_its_registered_exercises(root):
    checked = _ids_checked_in_notebooks(root)
    registered = _notebook_exercises()
    for number, ids in checked.items():
        assert ids == {e for e in registered if e.startswith(f"{number}.")}, f"notebook {number}"
    assert all(e[:2] in checked for e in registered), "an exercise belongs to a notebook that does not exist"
    assert sum(len(ids) for ids in checked.values()) >= 30


def test_every_solution_belongs_to_an_exercise(root):
    known = set(_notebook_exercises())
    for path in sorted((root / "solutions").glob("lesson*.py")):
        module = importlib.import_module(f"solutions.{path.stem}")
        number = path.stem[len("lesson"):][:2]
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                assert f"{number}.{name}" in known, f"{path.name}:{name} matches no registered exercise"
