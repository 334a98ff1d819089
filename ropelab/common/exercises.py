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

Every message is written in the language chosen with ``ropelab.set_language`` (English or
Chinese), decided when the message is made, so switching the language after import works: the
code writes both versions side by side with ``tr(english, chinese)``, and an exercise carries
its Chinese title and hints (``title_zh``, ``hints_zh``; a prediction ``question_zh``,
``explain_zh`` and ``choices_zh``) next to the English ones.
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

from .i18n import get_language, tr

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

    ``title_zh`` and ``hints_zh`` are the Chinese title and hints, shown after
    ``ropelab.set_language("zh")``; ``hints_zh`` has one stage per stage of ``hints``.
    Where one is missing the English text is shown.
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
    title_zh: str = ""
    hints_zh: tuple[str, ...] | str = ()

    def __post_init__(self):
        for name in ("hints", "hints_zh"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,) if value else ()
            object.__setattr__(self, name, tuple(value))
        if self.hints_zh and len(self.hints_zh) != len(self.hints):
            raise ValueError(f"hints_zh of {self.id!r} must have one stage per stage of hints "
                             f"({len(self.hints)}); got {len(self.hints_zh)}")

    def shown_title(self) -> str:
        """The title in the current language."""
        return self.title_zh if get_language() == "zh" and self.title_zh else self.title

    def shown_hints(self) -> tuple[str, ...]:
        """The hint stages in the current language."""
        return self.hints_zh if get_language() == "zh" and self.hints_zh else self.hints

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

    ``question_zh`` and ``explain_zh`` are the Chinese texts, shown after
    ``ropelab.set_language("zh")``. The choices stay what the learner types (code values, in
    English); ``choices_zh`` gives each one a Chinese gloss, shown next to it in Chinese
    messages and accepted as the same answer.
    """

    id: str
    question: str
    answer: Any
    explain: str
    choices: tuple[str, ...] = ()
    rtol: float = 0.0
    atol: float = 0.0
    question_zh: str = ""
    explain_zh: str = ""
    choices_zh: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "choices", tuple(self.choices))
        object.__setattr__(self, "choices_zh", tuple(self.choices_zh))
        if self.choices_zh and len(self.choices_zh) != len(self.choices):
            raise ValueError(f"choices_zh of {self.id!r} must gloss each of the {len(self.choices)} choices; "
                             f"got {len(self.choices_zh)}")

    @property
    def title(self) -> str:
        return self.question

    def shown_title(self) -> str:
        """The question in the current language."""
        return self.question_zh if get_language() == "zh" and self.question_zh else self.question

    def shown_explain(self) -> str:
        """The explanation in the current language."""
        return self.explain_zh if get_language() == "zh" and self.explain_zh else self.explain

    def shown_choice(self, choice: str) -> str:
        """``repr(choice)``, with its Chinese gloss after it in Chinese: ``'rotated'（已旋转）``."""
        if get_language() == "zh" and self.choices_zh and choice in self.choices:
            return f"{choice!r}（{self.choices_zh[self.choices.index(choice)]}）"
        return repr(choice)


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
                    check_dtype: bool = True, what: str | None = None) -> str | None:
    """``None`` if ``got`` matches ``expected``; otherwise a diagnosis of the first problem.

    ``what`` names the compared value in the message (default: "result" / "结果", in the
    current language).
    """
    if what is None:
        what = tr("result", "结果")
    if got is None:
        return tr(f"your function returned None for the {what}. Did you forget `return`?",
                  f"你的函数返回的{what}是 None。是不是忘了写 `return`？")
    if not isinstance(got, torch.Tensor):
        return tr(f"the {what} should be a torch.Tensor of shape {_shape(expected)}, but your function "
                  f"returned a {type(got).__name__}",
                  f"{what}应当是形状为 {_shape(expected)} 的 torch.Tensor，但你的函数返回的是 "
                  f"{type(got).__name__}")
    if got.shape != expected.shape:
        hint = ""
        if sorted(got.shape) == sorted(expected.shape):
            hint = tr(" (same sizes in a different order: a transpose or permute is off?)",
                      "（各维大小都对，只是顺序不同：是不是转置或维度重排出了错？）")
        elif got.numel() == expected.numel():
            hint = tr(" (same number of elements: a view/reshape is off?)",
                      "（元素个数相同：是不是 view/reshape 出了错？）")
        return tr(f"wrong shape for the {what}: expected {_shape(expected)}, got {_shape(got)}{hint}",
                  f"{what}的形状不对：应为 {_shape(expected)}，实际为 {_shape(got)}{hint}")
    if got.is_complex() and not expected.is_complex():
        return tr(f"wrong dtype for the {what}: it is complex ({got.dtype}) where a real tensor "
                  f"({expected.dtype}) is expected. Keep the real part (.real) or write the real form "
                  "of the computation",
                  f"{what}的数据类型不对：它是复数张量（{got.dtype}），而这里需要实数张量"
                  f"（{expected.dtype}）。请取实部（.real），或者把计算改写成实数形式")
    if check_dtype and got.dtype != expected.dtype:
        return tr(f"wrong dtype for the {what}: expected {expected.dtype}, got {got.dtype}",
                  f"{what}的数据类型不对：应为 {expected.dtype}，实际为 {got.dtype}")
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
        first_zh = f"第一个在索引 {where} 处" if idx else "它是一个标量"
        msg = tr(f"wrong values in the {what}: {n_bad} of {expected.numel()} elements differ; "
                 f"first at index {where}: expected {_fmt_num(e)}, got {_fmt_num(g)}",
                 f"{what}的数值不对：{expected.numel()} 个元素中有 {n_bad} 个不同；"
                 f"{first_zh}：应为 {_fmt_num(e)}，实际为 {_fmt_num(g)}")
        if not (expected.dtype == torch.bool or not (expected.is_floating_point() or expected.is_complex())):
            allowed = atol + rtol * abs(e)
            off = abs(complex(g) - complex(e))
            if off <= 100 * allowed:  # a close miss: say by how much, against which tolerance
                msg += tr(f" (off by {off:.3g}, where the check allows {allowed:.3g} = atol {atol:g} + "
                          f"rtol {rtol:g} x |expected|: a rounding or float32/float64 difference?)",
                          f"（相差 {off:.3g}，而检查允许的误差是 {allowed:.3g} = atol {atol:g} + "
                          f"rtol {rtol:g} × |期望值|：是舍入误差，还是 float32/float64 的差别？）")
        return msg
    return None


def _compare(ex: Exercise, expected: Any, got: Any) -> str | None:
    if ex.compare is not None:
        return ex.compare(expected, got)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            n = len(expected)
            desc = (type(got).__name__ if not isinstance(got, (tuple, list))
                    else tr(f"{len(got)} values", f"{len(got)} 个值"))
            return tr(f"your function should return {n} values (a tuple), but it returned {desc}",
                      f"你的函数应当返回 {n} 个值（一个元组），但它返回的是 {desc}")
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare_tensors(e, g, atol=ex.atol, rtol=ex.rtol, check_dtype=ex.check_dtype,
                                  what=tr(f"output number {i + 1}", f"第 {i + 1} 个输出"))  # counted from 1
            if msg:
                return msg
        return None
    if isinstance(expected, torch.Tensor):
        return compare_tensors(expected, got, atol=ex.atol, rtol=ex.rtol, check_dtype=ex.check_dtype)
    if got != expected:
        return tr(f"expected {expected!r}, got {got!r}", f"应为 {expected!r}，实际为 {got!r}")
    return None


def _clone_args(args: tuple) -> tuple:
    return tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)


def _arg_name(ex: Exercise, index: int) -> str:
    """``"argument 1 (freqs_cis)"``: counted from 1, with the reference's parameter name when known."""
    try:
        params = list(inspect.signature(ex.reference).parameters)
    except (TypeError, ValueError):
        params = []
    if get_language() == "zh":
        return f"第 {index + 1} 个参数" + (f"（{params[index]}）" if index < len(params) else "")
    return f"argument {index + 1}" + (f" ({params[index]})" if index < len(params) else "")


def _not_a_view(ex: Exercise, inputs: tuple, got: Any) -> str | None:
    """A message when ``got`` should be a view of ``inputs[ex.view_of]`` but has its own memory."""
    if ex.view_of is None or not isinstance(got, torch.Tensor):
        return None
    source = inputs[ex.view_of]
    if got.untyped_storage().data_ptr() == source.untyped_storage().data_ptr():
        return None
    return tr(f"the values are right, but the result is a copy: the exercise asks for a view of "
              f"{_arg_name(ex, ex.view_of)}, a tensor that shares its memory instead of copying it",
              f"数值是对的，但结果是一份拷贝：这道练习要求返回{_arg_name(ex, ex.view_of)}的视图，"
              "即与它共享内存、不复制数据的张量")


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
    head = f"[{ex.id}] {ex.shown_title()}"
    time_left = time_limit
    for i, args in enumerate(ex.cases()):
        expected = ex.reference(*_clone_args(args))
        inputs = _clone_args(args)
        start = time.perf_counter()
        try:
            with _time_limit(time_left):
                got = fn(*inputs)
        except _TimeUp:
            msg = tr(f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) your function did not "
                     f"return within {time_limit:g} s (the limit for all {ex.n_cases} cases together). "
                     "Does a loop never reach its end?",
                     f"❌ {head}：在第 {i + 1} 个测试用例（输入：{_describe_inputs(args)}）上，你的函数没有在 "
                     f"{time_limit:g} 秒内返回（这是全部 {ex.n_cases} 个测试用例加在一起的时限）。"
                     "是不是有循环永远走不到终点？")
            return _failed(ex, msg, i)
        except NotImplementedError:
            return CheckResult(ex.id, False, tr(f"⏳ {head}: not done yet. Replace the "
                                                "`raise NotImplementedError` line with your code and run this "
                                                "cell again.",
                                                f"⏳ {head}：尚未完成。把 `raise NotImplementedError` 这一行"
                                                "换成你的代码，再运行一次这个单元格。")
                               + _hint(ex, 1), i)
        except Exception as err:  # report the learner's exception, not ours
            tb = traceback.extract_tb(err.__traceback__)
            line = ""
            if tb and tb[-1].line:
                line = tr(f" (line {tb[-1].lineno}: {tb[-1].line})", f"（第 {tb[-1].lineno} 行：{tb[-1].line}）")
            msg = tr(f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) your function raised "
                     f"{type(err).__name__}: {err}{line}",
                     f"❌ {head}：在第 {i + 1} 个测试用例（输入：{_describe_inputs(args)}）上，你的函数抛出了 "
                     f"{type(err).__name__}: {err}{line}")
            return _failed(ex, msg, i)
        for a, b in zip(args, inputs):
            if isinstance(a, torch.Tensor) and (a.shape != b.shape or not torch.equal(a, b)):
                return CheckResult(ex.id, False, tr(f"❌ {head}: on case {i + 1} your function changed its "
                                                    "input in place; compute a new tensor instead",
                                                    f"❌ {head}：在第 {i + 1} 个测试用例上，你的函数原地修改了"
                                                    "它的输入；请改为计算一个新的张量"), i)
        if time_left is not None:
            time_left -= time.perf_counter() - start
        problem = _compare(ex, expected, got) or _not_a_view(ex, inputs, got)
        if problem:
            msg = tr(f"❌ {head}: on case {i + 1} (inputs: {_describe_inputs(args)}) {problem}",
                     f"❌ {head}：在第 {i + 1} 个测试用例（输入：{_describe_inputs(args)}）上，{problem}")
            return _failed(ex, msg, i)
    return CheckResult(ex.id, True, tr(f"✅ {head}: passed all {ex.n_cases} test cases.",
                                       f"✅ {head}：全部 {ex.n_cases} 个测试用例都通过了。"))


def _hint(ex: Exercise, stage: int) -> str:
    """The hint for the ``stage``-th failure (1-based), with a note when a more concrete one follows."""
    hints = ex.shown_hints()
    if not hints:
        return ""
    k = min(stage, len(hints))
    if get_language() == "zh":
        more = "（再试一次：下一次没通过时，会给出更具体的提示）" if k < len(hints) else ""
        label = f"提示 {k}/{len(hints)}" if len(hints) > 1 else "提示"
        return f"\n   {label}：{hints[k - 1]}{more}"
    more = " (try again: the next failure brings a more concrete hint)" if k < len(hints) else ""
    label = f"hint {k} of {len(hints)}" if len(hints) > 1 else "hint"
    return f"\n   {label}: {hints[k - 1]}{more}"


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
    head = f"[{p.id}] {p.shown_title()}"
    if value is Ellipsis or value is None:
        if p.choices:
            what = tr("one of ", "以下之一：") + tr(", ", "、").join(p.shown_choice(c) for c in p.choices)
        else:
            what = tr("a number", "一个数")
        return CheckResult(p.id, False, tr(f"⏳ {head}: not done yet. Replace the `...` with your prediction "
                                           f"({what}) before you run the cells that measure it.",
                                           f"⏳ {head}：尚未完成。先把 `...` 换成你的预测（{what}），"
                                           "再运行后面测量它的单元格。"))
    if p.choices:
        # a choice is its English value; its Chinese gloss counts as the same answer
        known = {_norm(c): c for c in p.choices}
        known.update({_norm(z): c for z, c in zip(p.choices_zh, p.choices)})
        if not isinstance(value, str) or _norm(value) not in known:
            raise ValueError(tr(f"your prediction for {p.id} must be one of {list(p.choices)}; got {value!r}",
                                f"你对 {p.id} 的预测必须是以下之一："
                                f"{'、'.join(p.shown_choice(c) for c in p.choices)}；你给的是 {value!r}"))
        right = known[_norm(value)] == known.get(_norm(p.answer), p.answer)
        shown = repr(value)
        answer = p.shown_choice(p.answer)
    else:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(tr(f"your prediction for {p.id} must be a number; got {value!r} "
                               f"({type(value).__name__})",
                               f"你对 {p.id} 的预测必须是一个数；你给的是 {value!r}（{type(value).__name__}）"))
        if not math.isfinite(value):
            raise ValueError(tr(f"your prediction for {p.id} must be a finite number; got {value!r}",
                                f"你对 {p.id} 的预测必须是一个有限的数；你给的是 {value!r}"))
        right = abs(value - p.answer) <= p.atol + p.rtol * abs(p.answer)
        shown = f"{value:g}"
        answer = repr(p.answer)
    explain = p.shown_explain()
    if right:
        return CheckResult(p.id, True, tr(f"✅ {head}: you predicted {shown}, which is right. {explain}",
                                          f"✅ {head}：你的预测是 {shown}，答对了。{explain}"))
    return CheckResult(p.id, False, tr(f"❌ {head}: you predicted {shown}; the answer is {answer}. {explain}",
                                       f"❌ {head}：你的预测是 {shown}；正确答案是 {answer}。{explain}"))


def exercise(exercise_id: str, reference: Callable[..., Any], *, title: str, hints: tuple[str, ...] | str = (),
             title_zh: str = "", hints_zh: tuple[str, ...] | str = (),
             **options: Any) -> Callable[[Callable], Callable]:
    """Decorator: register the exercise ``exercise_id`` with the decorated function as its input maker.

    ``reference`` is the function a learner's answer is compared with; ``title_zh`` and
    ``hints_zh`` are the Chinese title and hints; ``options`` are the other fields of
    :class:`ropelab.common.exercises.Exercise` (``view_of``, ``atol`` ...).
    """
    def decorate(make_inputs: Callable[[torch.Generator], tuple]) -> Callable[[torch.Generator], tuple]:
        register(Exercise(id=exercise_id, title=title, reference=reference, make_inputs=make_inputs,
                          hints=hints, title_zh=title_zh, hints_zh=hints_zh, **options))
        return make_inputs

    return decorate
