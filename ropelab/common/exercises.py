"""The exercise checker every notebook uses.

An exercise is a spec (what to write), a reference implementation from
``ropelab`` and a generator of random inputs. :func:`check` runs the learner's
function and the reference on several seeded inputs and reports either a pass
or the first thing that went wrong, in words a learner can act on:

* the function raised (with the exception, and a nudge if it is the stub's
  ``NotImplementedError``),
* it returned ``None`` or something that is not a tensor,
* the shape or dtype differs from the reference (a complex result where a real
  one is expected is named as such),
* the values differ: where (the first differing index), expected vs got,
* it did not return within the time limit (``time_limit``, 10 s by default).

Notebook modules register their exercises with :func:`register`; a notebook
then calls ``check("01.attention_scores", attention_scores)``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import signal
import threading
import time
import traceback
from typing import Any, Callable, Sequence

import torch

__all__ = ["Exercise", "Prediction", "CheckResult", "register", "check", "get_exercise", "list_exercises",
           "reset_hints", "randint", "pick", "exercise"]

_REGISTRY: dict[str, "Exercise | Prediction"] = {}
# failed attempts per exercise id in this session: the hint given grows more concrete with them
_FAILURES: dict[str, int] = {}


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise: an id like ``"01.attention_scores"``, a reference and an input maker.

    ``make_inputs(gen)`` returns a tuple of positional arguments for one case,
    built only from the ``torch.Generator`` it is given, so every run sees the
    same cases. ``compare(expected, got)`` may replace the default tensor
    comparison; it returns ``None`` when they agree, else a message.
    ``view_of`` (0-based index of a positional argument) says the result must be
    a view of that argument, sharing its memory, not a copy.

    ``hints`` come in stages: the first failure gets ``hints[0]`` (a conceptual nudge),
    each further failure the next one (more concrete, code-level last); none of them
    is the solution. A single string is one stage.
    """

    id: str
    title: str
    reference: Callable[..., Any]
    make_inputs: Callable[[torch.Generator], tuple]
    hints: tuple[str, ...] | str = ()
    n_cases: int = 5
    atol: float = 1e-5
    rtol: float = 1e-5
    check_dtype: bool = True
    compare: Callable[[Any, Any], str | None] | None = None
    view_of: int | None = None
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.hints, str):
            object.__setattr__(self, "hints", (self.hints,) if self.hints else ())
        object.__setattr__(self, "hints", tuple(self.hints))

    def cases(self) -> list[tuple]:
        gen = torch.Generator().manual_seed(self.seed)
        return [self.make_inputs(gen) for _ in range(self.n_cases)]


@dataclasses.dataclass(frozen=True)
class Prediction:
    """A predict-then-check question: the learner commits to a number or a choice before running.

    ``answer`` is a number (graded within ``rtol`` relative / ``atol`` absolute) or, when
    ``choices`` is given, one of the choices (graded exactly, case and spaces ignored).
    ``explain`` is shown after the learner has committed, right or wrong: the reasoning
    and how the notebook's next cell measures it.
    """

    id: str
    question: str
    answer: Any
    explain: str
    choices: tuple[str, ...] = ()
    rtol: float = 0.0
    atol: float = 0.0

    @property
    def title(self) -> str:
        return self.question


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check`. ``passed`` is a bool; ``message`` says what happened."""

    exercise_id: str
    passed: bool
    message: str
    case: int | None = None

    def __repr__(self) -> str:  # notebooks show the message, not a dataclass dump
        return self.message

    def __bool__(self) -> bool:
        return self.passed


def register(exercise: Exercise | Prediction) -> Exercise | Prediction:
    """Add an exercise or a prediction to the registry (ids must be unique)."""
    if not isinstance(exercise, (Exercise, Prediction)):
        raise TypeError(f"exercise must be an Exercise or a Prediction; got {type(exercise).__name__}")
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"exercise id {exercise.id!r} is already registered")
    _REGISTRY[exercise.id] = exercise
    return exercise


def get_exercise(exercise_id: str) -> Exercise | Prediction:
    """Look an exercise up by id, with the list of known ids in the error."""
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a string like '01.attention_scores'; got {type(exercise_id).__name__}")
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "(none)"
        raise ValueError(f"unknown exercise_id {exercise_id!r}; known exercises: {known}") from None


def list_exercises(prefix: str = "") -> list[str]:
    """Ids of all registered exercises, optionally only those starting with ``prefix`` (e.g. ``"03."``)."""
    return sorted(k for k in _REGISTRY if k.startswith(prefix))


# ---------------------------------------------------------------------------
# drawing random cases (only from the generator an exercise is given)
# ---------------------------------------------------------------------------

def randint(gen: torch.Generator, low: int, high: int) -> int:
    """A random integer in ``[low, high]`` (both included) drawn from ``gen``."""
    return int(torch.randint(low, high + 1, (1,), generator=gen))


def pick(gen: torch.Generator, options: Sequence[Any]) -> Any:
    """One of ``options``, chosen with ``gen``."""
    return options[int(torch.randint(0, len(options), (1,), generator=gen))]


# ---------------------------------------------------------------------------
# comparing results
# ---------------------------------------------------------------------------

def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"


def _describe_inputs(args: Sequence[Any]) -> str:
    parts = []
    for a in args:
        if isinstance(a, torch.Tensor):
            parts.append(f"tensor{_shape(a)} {str(a.dtype).replace('torch.', '')}")
        else:
            r = repr(a)
            parts.append(r if len(r) <= 40 else r[:37] + "...")
    return ", ".join(parts)


def _fmt_num(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, complex):
        return f"{v.real:.4f}{v.imag:+.4f}i"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def compare_tensors(expected: torch.Tensor, got: Any, *, atol: float, rtol: float,
                    check_dtype: bool = True, what: str = "result") -> str | None:
    """``None`` if ``got`` matches ``expected``; otherwise a diagnosis of the first problem."""
    if got is None:
        return f"your function returned None for the {what}. Did you forget `return`?"
    if not isinstance(got, torch.Tensor):
        return (f"the {what} should be a torch.Tensor of shape {_shape(expected)}, but your function "
                f"returned a {type(got).__name__}")
    if got.shape != expected.shape:
        hint = ""
        if sorted(got.shape) == sorted(expected.shape):
            hint = " (same sizes in a different order: a transpose or permute is off?)"
        elif got.numel() == expected.numel():
            hint = " (same number of elements: a view/reshape is off?)"
        return f"wrong shape for the {what}: expected {_shape(expected)}, got {_shape(got)}{hint}"
    if got.is_complex() and not expected.is_complex():
        return (f"wrong dtype for the {what}: it is complex ({got.dtype}) where a real tensor "
                f"({expected.dtype}) is expected. Keep the real part (.real) or write the real form "
                "of the computation")
    if check_dtype and got.dtype != expected.dtype:
        return f"wrong dtype for the {what}: expected {expected.dtype}, got {got.dtype}"
    if expected.dtype == torch.bool or not (expected.is_floating_point() or expected.is_complex()):
        bad = got != expected
    else:
        g = got.to(expected.dtype) if got.dtype != expected.dtype else got
        bad = ~torch.isclose(g, expected, atol=atol, rtol=rtol, equal_nan=True)
    if bad.any():
        idx = tuple(int(i) for i in bad.nonzero()[0])
        n_bad = int(bad.sum())
        where = "[" + ", ".join(str(i) for i in idx) + "]" if idx else "(scalar)"
        e = expected[idx].item() if idx else expected.item()
        g = got[idx].item() if idx else got.item()
        msg = (f"wrong values in the {what}: {n_bad} of {expected.numel()} elements differ; "
               f"first at index {where}: expected {_fmt_num(e)}, got {_fmt_num(g)}")
        if not (expected.dtype == torch.bool or not (expected.is_floating_point() or expected.is_complex())):
            allowed = atol + rtol * abs(e)
            off = abs(complex(g) - complex(e))
            if off <= 100 * allowed:  # a close miss: say by how much, against which tolerance
                msg += (f" (off by {off:.3g}, where the check allows {allowed:.3g} = atol {atol:g} + "
                        f"rtol {rtol:g} x |expected|: a rounding or float32/float64 difference?)")
        return msg
    return None


def _compare(ex: Exercise, expected: Any, got: Any) -> str | None:
    if ex.compare is not None:
        return ex.compare(expected, got)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            n = len(expected)
            desc = type(got).__name__ if not isinstance(got, (tuple, list)) else f"{len(got)} values"
            return f"your function should return {n} values (a tuple), but it returned {desc}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare_tensors(e, g, atol=ex.atol, rtol=ex.rtol, check_dtype=ex.check_dtype,
                                  what=f"output number {i + 1}")  # counted from 1, like the cases
            if msg:
                return msg
        return None
    if isinstance(expected, torch.Tensor):
        return compare_tensors(expected, got, atol=ex.atol, rtol=ex.rtol, check_dtype=ex.check_dtype)
    if got != expected:
        return f"expected {expected!r}, got {got!r}"
    return None


def _clone_args(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _arg_name(ex: Exercise, index: int) -> str:
    """``"argument 1 (freqs_cis)"``: counted from 1, with the reference's parameter name when known."""
    try:
        params = list(inspect.signature(ex.reference).parameters)
    except (TypeError, ValueError):
        params = []
    return f"argument {index + 1}" + (f" ({params[index]})" if index < len(params) else "")


def _not_a_view(ex: Exercise, inputs: tuple, got: Any) -> str | None:
    """A message when ``got`` should be a view of ``inputs[ex.view_of]`` but has its own memory."""
    if ex.view_of is None or not isinstance(got, torch.Tensor):
        return None
    source = inputs[ex.view_of]
    if got.untyped_storage().data_ptr() == source.untyped_storage().data_ptr():
        return None
    return (f"the values are right, but the result is a copy: the exercise asks for a view of "
            f"{_arg_name(ex, ex.view_of)}, a tensor that shares its memory instead of copying it")


# ---------------------------------------------------------------------------
# the time limit (a learner's loop that never ends must not hang the notebook)
# ---------------------------------------------------------------------------

DEFAULT_TIME_LIMIT = 10.0  # seconds of wall time for all the cases of one exercise together


class _TimeUp(BaseException):
    """Raised inside the learner's function when the time is up (a BaseException, so that a
    learner's ``except Exception`` does not swallow it)."""


def _can_time_out() -> bool:
    """SIGALRM timers work on Linux/macOS, in the main thread, when no other timer is running."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`_TimeUp` in the body after ``seconds`` of wall time; no limit where signals are unavailable."""
    if seconds is None or not _can_time_out():
        yield
        return

    def on_alarm(signum, frame):
        signal.signal(signal.SIGALRM, previous)  # put the old handler back even if the alarm fires late
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_time_limit(time_limit) -> float | None:
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) \
            or not math.isfinite(time_limit) or time_limit <= 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None (no limit); got {time_limit!r}")
    return float(time_limit)


def check(exercise_id: str, fn: Callable[..., Any], *,
          time_limit: float | None = DEFAULT_TIME_LIMIT) -> CheckResult:
    """Run ``fn`` against the reference of ``exercise_id`` on seeded random inputs.

    Returns a :class:`CheckResult` (truthy when passed) whose text is shown in
    the notebook: a pass, or a diagnosis of the first failing case.
    ``time_limit`` is the wall time in seconds ``fn`` may take over all the cases
    together (``None``: no limit); it works in the main thread on Linux and macOS
    (a Jupyter kernel runs cells there) and is skipped where signals are unavailable.
    """
    ex = get_exercise(exercise_id)
    if isinstance(ex, Prediction):
        return _grade_prediction(ex, fn)
    if not callable(fn):
        raise TypeError(f"fn must be the function you wrote (a callable); got {type(fn).__name__}")
    time_limit = _check_time_limit(time_limit)
    head = f"[{ex.id}] {ex.title}"
    time_left = time_limit
    for i, args in enumerate(ex.cases()):
        expected = ex.reference(*_clone_args(args))
        inputs = _clone_args(args)
        start = time.perf_counter()
        try:
            with _time_limit(time_left):
                got = fn(*inputs)
        except _TimeUp:
            msg = (f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) your function did not "
                   f"return within {time_limit:g} s (the limit for all {ex.n_cases} cases together). "
                   "Does a loop never reach its end?")
            return _failed(ex, msg, i)
        except NotImplementedError:
            return CheckResult(ex.id, False, f"⏳ {head}: not done yet. Replace the "
                               "`raise NotImplementedError` line with your code and run this cell again."
                               + _hint(ex, 1), i)
        except Exception as err:  # report the learner's exception, not ours
            tb = traceback.extract_tb(err.__traceback__)
            line = f" (line {tb[-1].lineno}: {tb[-1].line})" if tb and tb[-1].line else ""
            msg = (f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) your function raised "
                   f"{type(err).__name__}: {err}{line}")
            return _failed(ex, msg, i)
        for a, b in zip(args, inputs):
            if isinstance(a, torch.Tensor) and (a.shape != b.shape or not torch.equal(a, b)):
                return CheckResult(ex.id, False, f"❌ {head}: on case {i + 1} your function changed its "
                                   "input in place; compute a new tensor instead", i)
        if time_left is not None:
            time_left -= time.perf_counter() - start
        problem = _compare(ex, expected, got) or _not_a_view(ex, inputs, got)
        if problem:
            msg = f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) {problem}"
            return _failed(ex, msg, i)
    return CheckResult(ex.id, True, f"✅ {head}: passed all {ex.n_cases} test cases.")


def _hint(ex: Exercise, stage: int) -> str:
    """The hint for the ``stage``-th failure (1-based), with a note when a more concrete one follows."""
    if not ex.hints:
        return ""
    k = min(stage, len(ex.hints))
    more = " (try again: the next failure brings a more concrete hint)" if k < len(ex.hints) else ""
    label = f"hint {k} of {len(ex.hints)}" if len(ex.hints) > 1 else "hint"
    return f"\n   {label}: {ex.hints[k - 1]}{more}"


def _failed(ex: Exercise, msg: str, case: int) -> CheckResult:
    _FAILURES[ex.id] = _FAILURES.get(ex.id, 0) + 1
    return CheckResult(ex.id, False, msg + _hint(ex, _FAILURES[ex.id]), case)


def reset_hints(exercise_id: str | None = None) -> None:
    """Start the hints of one exercise (or of all, with no argument) from the first stage again."""
    if exercise_id is None:
        _FAILURES.clear()
    else:
        _FAILURES.pop(get_exercise(exercise_id).id, None)


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def _grade_prediction(p: Prediction, value: Any) -> CheckResult:
    head = f"[{p.id}] {p.question}"
    if value is Ellipsis or value is None:
        what = "one of " + ", ".join(repr(c) for c in p.choices) if p.choices else "a number"
        return CheckResult(p.id, False, f"⏳ {head}: not done yet. Replace the `...` with your prediction "
                                        f"({what}) before you run the cells that measure it.")
    if p.choices:
        if not isinstance(value, str) or _norm(value) not in {_norm(c) for c in p.choices}:
            raise ValueError(f"your prediction for {p.id} must be one of {list(p.choices)}; got {value!r}")
        right = _norm(value) == _norm(p.answer)
        shown = repr(value)
    else:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"your prediction for {p.id} must be a number; got {value!r} ({type(value).__name__})")
        if not math.isfinite(value):
            raise ValueError(f"your prediction for {p.id} must be a finite number; got {value!r}")
        right = abs(value - p.answer) <= p.atol + p.rtol * abs(p.answer)
        shown = f"{value:g}"
    if right:
        return CheckResult(p.id, True, f"✅ {head}: you predicted {shown}, which is right. {p.explain}")
    return CheckResult(p.id, False, f"❌ {head}: you predicted {shown}; the answer is {p.answer!r}. {p.explain}")


def exercise(exercise_id: str, reference: Callable[..., Any], *, title: str, hints: tuple[str, ...] | str = (),
             **options: Any) -> Callable[[Callable], Callable]:
    """Decorator: register the exercise ``exercise_id`` with the decorated function as its input maker.

    ``reference`` is the function a learner's answer is compared with; ``options`` are the
    other fields of :class:`ropelab.common.exercises.Exercise` (``view_of``, ``atol`` ...).
    """
    def decorate(make_inputs: Callable[[torch.Generator], tuple]) -> Callable[[torch.Generator], tuple]:
        register(Exercise(id=exercise_id, title=title, reference=reference, make_inputs=make_inputs,
                          hints=hints, **options))
        return make_inputs

    return decorate
