"""The exercise checker speaks English or Chinese: ``ropelab.set_language("en" | "zh")``.

Every expected message below is written out by hand, so a changed English wording fails here
just as a missing translation does. The English strings are the checker's wording before it
learned Chinese (the stored English notebook outputs show them).
"""
import ast
import importlib
import inspect
import re
import signal
import textwrap
import threading
from pathlib import Path

import pytest
import torch

import ropelab
from ropelab.common.exercises import Exercise, Prediction, register, reset_hints
from ropelab.common.i18n import get_language, set_language
from ropelab.exercises import check, get_exercise, list_exercises

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _has_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


# ---------------------------------------------------------------------------
# set_language
# ---------------------------------------------------------------------------

def test_the_language_is_english_until_chosen_and_switches_both_ways():
    assert get_language() == "en"
    ropelab.set_language("zh")
    assert ropelab.get_language() == "zh"
    ropelab.set_language("en")
    assert ropelab.get_language() == "en"


@pytest.mark.parametrize("spelling,language", [("zh", "zh"), ("en", "en"), ("ZH", "zh"), ("zh-CN", "zh"),
                                               ("zh_cn", "zh"), ("中文", "zh"), (" en ", "en")])
def test_set_language_accepts_the_two_languages(spelling, language):
    set_language(spelling)
    assert get_language() == language


@pytest.mark.parametrize("bad", ["fr", "", "zh-tw", "cn", "eng"])
def test_set_language_refuses_other_languages(bad):
    set_language("zh")
    with pytest.raises(ValueError, match=r"language must be 'en' \(English\) or 'zh'"):
        set_language(bad)
    assert get_language() == "zh"   # a refused call changes nothing


@pytest.mark.parametrize("bad", [None, 1, b"zh", ("zh",)])
def test_set_language_refuses_what_is_not_a_string(bad):
    with pytest.raises(TypeError, match="language must be a string"):
        set_language(bad)
    assert get_language() == "en"


# ---------------------------------------------------------------------------
# every registered exercise and prediction has its Chinese texts
# ---------------------------------------------------------------------------

def _notebook_ids() -> list[str]:
    return [e for e in list_exercises() if not e.startswith("test.")]


def test_the_notebooks_register_exercises_and_predictions():
    ids = _notebook_ids()
    assert sum(isinstance(get_exercise(e), Exercise) for e in ids) >= 30
    assert sum(isinstance(get_exercise(e), Prediction) for e in ids) >= 14


@pytest.mark.parametrize("exercise_id", _notebook_ids())
def test_every_text_a_reader_sees_exists_in_both_languages(exercise_id):
    ex = get_exercise(exercise_id)
    if isinstance(ex, Exercise):
        english = {"title": ex.title, **{f"hints[{i}]": h for i, h in enumerate(ex.hints)}}
        chinese = {"title_zh": ex.title_zh, **{f"hints_zh[{i}]": h for i, h in enumerate(ex.hints_zh)}}
        assert len(ex.hints) >= 2, "hints come in stages"
        assert len(ex.hints_zh) == len(ex.hints), "one Chinese stage per English stage"
    else:
        english = {"question": ex.question, "explain": ex.explain,
                   **{f"choices[{i}]": c for i, c in enumerate(ex.choices)}}
        chinese = {"question_zh": ex.question_zh, "explain_zh": ex.explain_zh,
                   **{f"choices_zh[{i}]": c for i, c in enumerate(ex.choices_zh)}}
        assert len(ex.choices_zh) == len(ex.choices), "one Chinese gloss per choice"
    for field, text in english.items():
        assert text and not CJK.search(text), f"{exercise_id}.{field} should be English only: {text!r}"
    for field, text in chinese.items():
        assert _has_chinese(text), f"{exercise_id}.{field} has no Chinese: {text!r}"


# the code, names and numbers of a text: a translation keeps every one of them
_CODE = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)|[A-Za-z_]\w*(?:\.\w+)+|\b\w+_\w*\b|\[[^\]]*\]"
                   r"|\d+(?:\.\d+)?(?:e-?\d+)?")


def _code_of(english: str) -> list[str]:
    english = re.sub(r"\b\d-D\b|\bi\.e\.", "", english)   # "2-D" is 二维, "i.e." is 即
    return _CODE.findall(english)


def test_the_code_finder_finds_code():   # so that the test below cannot pass by finding nothing
    assert _code_of("Reduce over dim=(0, 2, 3) with keep_dim=True; x[..., 0::2], 1e-5 and torch.arange(n) work "
                    "in 2-D, i.e. on a plane.") == ["0", "2", "3", "keep_dim", "[..., 0::2]", "1e-5", "torch.arange(n)"]


@pytest.mark.parametrize("exercise_id", _notebook_ids())
def test_the_chinese_texts_keep_the_code_and_numbers_of_the_english(exercise_id):
    ex = get_exercise(exercise_id)
    if isinstance(ex, Exercise):
        pairs = [(ex.title, ex.title_zh), *zip(ex.hints, ex.hints_zh)]
    else:
        pairs = [(ex.question, ex.question_zh), (ex.explain, ex.explain_zh)]
    missing = [(token, zh) for en, zh in pairs for token in _code_of(en) if token not in zh]
    assert not missing, f"{exercise_id}: the Chinese text lacks {missing}"


def _solutions(number: str):
    (path,) = (Path(__file__).resolve().parents[1] / "solutions").glob(f"lesson{number}_*.py")
    return importlib.import_module(f"solutions.{path.stem}")


def test_no_chinese_hint_prints_a_line_of_the_solution():
    """As for the English hints (tests/test_common_exercises.py): no statement of a worked
    solution beyond a trivial one appears in a Chinese hint either, spaces ignored."""
    leaks = []
    for exercise_id in _notebook_ids():
        ex = get_exercise(exercise_id)
        if isinstance(ex, Prediction):
            continue
        number, name = exercise_id.split(".", 1)
        tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(_solutions(number), name)))).body[0]
        for node in ast.walk(tree):
            if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign)) and node.value is not None:
                code = ast.unparse(node.value).replace(" ", "")
                if len(code) >= 20 and any(code in h.replace(" ", "") for h in ex.hints_zh):
                    leaks.append(f"{exercise_id}: {ast.unparse(node.value)}")
    assert not leaks, "Chinese hints that print a solution line:\n" + "\n".join(leaks)


# ---------------------------------------------------------------------------
# the checker's messages, outcome by outcome
# ---------------------------------------------------------------------------

def _table(gen):
    return (torch.arange(12.0).reshape(3, 4),)   # row sums 6, 22, 38


def _row_sums(x):
    return x.sum(dim=-1)


def _sums_and_maxima(x):
    return x.sum(dim=-1), x.amax(dim=-1)


def _first_row(x):
    return x[0]


ROWS = register(Exercise(
    id="test.i18n_rows", title="row sums", title_zh="每行求和", reference=_row_sums, make_inputs=_table,
    n_cases=2,
    hints=("what does one row add up to?", "reduce one dimension", "x.sum(dim=...) with the right dim"),
    hints_zh=("一行加起来是多少？", "对一个维度做归约", "用 x.sum(dim=...)，选对 dim"),
))
TWO = register(Exercise(id="test.i18n_two", title="sums and maxima", title_zh="和与最大值",
                        reference=_sums_and_maxima, make_inputs=_table, n_cases=2))
VIEW = register(Exercise(id="test.i18n_view", title="first row", title_zh="第一行", reference=_first_row,
                         make_inputs=_table, n_cases=2, view_of=0))
UNTRANSLATED = register(Exercise(id="test.i18n_untranslated", title="row sums again", reference=_row_sums,
                                 make_inputs=_table, n_cases=2, hints="sum over the last dimension"))

EN_HEAD = "[test.i18n_rows] row sums"
ZH_HEAD = "[test.i18n_rows] 每行求和"
EN_CASE = f"❌ {EN_HEAD}: on case 1 (inputs: tensor(3, 4) float32) "
ZH_CASE = f"❌ {ZH_HEAD}：在第 1 个测试用例（输入：tensor(3, 4) float32）上，"
EN_HINT1 = ("\n   hint 1 of 3: what does one row add up to? (try again: the next failure brings a more "
            "concrete hint)")
ZH_HINT1 = "\n   提示 1/3：一行加起来是多少？（再试一次：下一次没通过时，会给出更具体的提示）"


def _stub(x):
    raise NotImplementedError


def _raises(x):
    raise ValueError("no rows today")


_RAISE_LINE = _raises.__code__.co_firstlineno + 1


def _in_place(x):
    x.mul_(2)
    return x.sum(dim=-1) / 2


# (answer, English message, Chinese message), each for a first failure or a pass
OUTCOMES = {
    "pass": (_row_sums,
             f"✅ {EN_HEAD}: passed all 2 test cases.",
             f"✅ {ZH_HEAD}：全部 2 个测试用例都通过了。"),
    "not done yet": (_stub,
                     f"⏳ {EN_HEAD}: not done yet. Replace the `raise NotImplementedError` line with your code and "
                     "run this cell again." + EN_HINT1,
                     f"⏳ {ZH_HEAD}：尚未完成。把 `raise NotImplementedError` 这一行换成你的代码，"
                     "再运行一次这个单元格。" + ZH_HINT1),
    "returned None": (lambda x: None,
                      EN_CASE + "your function returned None for the result. Did you forget `return`?" + EN_HINT1,
                      ZH_CASE + "你的函数返回的结果是 None。是不是忘了写 `return`？" + ZH_HINT1),
    "not a tensor": (lambda x: x.sum(dim=-1).tolist(),
                     EN_CASE + "the result should be a torch.Tensor of shape (3,), but your function returned a "
                     "list" + EN_HINT1,
                     ZH_CASE + "结果应当是形状为 (3,) 的 torch.Tensor，但你的函数返回的是 list" + ZH_HINT1),
    "wrong shape": (lambda x: x.sum(dim=0),
                    EN_CASE + "wrong shape for the result: expected (3,), got (4,)" + EN_HINT1,
                    ZH_CASE + "结果的形状不对：应为 (3,)，实际为 (4,)" + ZH_HINT1),
    "wrong shape, same elements": (lambda x: x.sum(dim=-1)[None],
                                   EN_CASE + "wrong shape for the result: expected (3,), got (1, 3) (same number "
                                   "of elements: a view/reshape is off?)" + EN_HINT1,
                                   ZH_CASE + "结果的形状不对：应为 (3,)，实际为 (1, 3)（元素个数相同：是不是 "
                                   "view/reshape 出了错？）" + ZH_HINT1),
    "wrong dtype": (lambda x: x.sum(dim=-1).double(),
                    EN_CASE + "wrong dtype for the result: expected torch.float32, got torch.float64" + EN_HINT1,
                    ZH_CASE + "结果的数据类型不对：应为 torch.float32，实际为 torch.float64" + ZH_HINT1),
    "complex where real": (lambda x: torch.complex(x, x).sum(dim=-1),
                           EN_CASE + "wrong dtype for the result: it is complex (torch.complex64) where a real "
                           "tensor (torch.float32) is expected. Keep the real part (.real) or write the real form "
                           "of the computation" + EN_HINT1,
                           ZH_CASE + "结果的数据类型不对：它是复数张量（torch.complex64），而这里需要实数张量"
                           "（torch.float32）。请取实部（.real），或者把计算改写成实数形式" + ZH_HINT1),
    "wrong values": (lambda x: x.sum(dim=-1) + torch.tensor([0.0, 0.5, 0.0]),
                     EN_CASE + "wrong values in the result: 1 of 3 elements differ; first at index [1]: expected "
                     "22.0000, got 22.5000" + EN_HINT1,
                     ZH_CASE + "结果的数值不对：3 个元素中有 1 个不同；第一个在索引 [1] 处：应为 22.0000，实际为 "
                     "22.5000" + ZH_HINT1),
    "a close miss": (lambda x: x.sum(dim=-1) + 0.002,
                     EN_CASE + "wrong values in the result: 3 of 3 elements differ; first at index [0]: expected "
                     "6.0000, got 6.0020 (off by 0.002, where the check allows 7e-05 = atol 1e-05 + rtol 1e-05 x "
                     "|expected|: a rounding or float32/float64 difference?)" + EN_HINT1,
                     ZH_CASE + "结果的数值不对：3 个元素中有 3 个不同；第一个在索引 [0] 处：应为 6.0000，实际为 "
                     "6.0020（相差 0.002，而检查允许的误差是 7e-05 = atol 1e-05 + rtol 1e-05 × |期望值|："
                     "是舍入误差，还是 float32/float64 的差别？）" + ZH_HINT1),
    "raised an exception": (_raises,
                            EN_CASE + "your function raised ValueError: no rows today "
                            f"(line {_RAISE_LINE}: raise ValueError(\"no rows today\"))" + EN_HINT1,
                            ZH_CASE + "你的函数抛出了 ValueError: no rows today"
                            f"（第 {_RAISE_LINE} 行：raise ValueError(\"no rows today\")）" + ZH_HINT1),
    "changed its input": (_in_place,
                          f"❌ {EN_HEAD}: on case 1 your function changed its input in place; compute a new "
                          "tensor instead",
                          f"❌ {ZH_HEAD}：在第 1 个测试用例上，你的函数原地修改了它的输入；请改为计算一个新的张量"),
}


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_each_outcome_is_reported_in_the_chosen_language(outcome):
    fn, english, chinese = OUTCOMES[outcome]
    reset_hints("test.i18n_rows")
    assert check("test.i18n_rows", fn).message == english
    set_language("zh")
    reset_hints("test.i18n_rows")
    res = check("test.i18n_rows", fn)
    assert res.message == chinese
    assert repr(res) == chinese   # what a notebook cell shows
    set_language("en")            # and back: English again, word for word
    reset_hints("test.i18n_rows")
    assert check("test.i18n_rows", fn).message == english


def test_the_hint_stages_in_chinese():
    def wrong(x):
        return x.sum(dim=-1) + 1

    set_language("zh")
    reset_hints("test.i18n_rows")
    first, second, third, fourth = (check("test.i18n_rows", wrong).message for _ in range(4))
    more = "（再试一次：下一次没通过时，会给出更具体的提示）"
    assert first.endswith("\n   提示 1/3：一行加起来是多少？" + more), first
    assert second.endswith("\n   提示 2/3：对一个维度做归约" + more), second
    assert third.endswith("\n   提示 3/3：用 x.sum(dim=...)，选对 dim"), third
    assert fourth.endswith("\n   提示 3/3：用 x.sum(dim=...)，选对 dim"), fourth
    assert "hint" not in first + second + third and "try again" not in first
    set_language("en")   # the count of failures carries on across the switch; the words change
    fifth = check("test.i18n_rows", wrong).message
    assert fifth.endswith("\n   hint 3 of 3: x.sum(dim=...) with the right dim"), fifth
    reset_hints("test.i18n_rows")
    assert check("test.i18n_rows", wrong).message.endswith(EN_HINT1)


def test_a_single_hint_and_an_untranslated_exercise():
    # no Chinese title or hint: those stay English, the checker's own words turn Chinese
    set_language("zh")
    reset_hints("test.i18n_untranslated")
    assert check("test.i18n_untranslated", _row_sums).message == (
        "✅ [test.i18n_untranslated] row sums again：全部 2 个测试用例都通过了。")
    assert check("test.i18n_untranslated", lambda x: x.sum(dim=0)).message == (
        "❌ [test.i18n_untranslated] row sums again：在第 1 个测试用例（输入：tensor(3, 4) float32）上，"
        "结果的形状不对：应为 (3,)，实际为 (4,)\n   提示：sum over the last dimension")


def test_tuple_outputs_in_both_languages():
    assert check("test.i18n_two", lambda x: x.sum(dim=-1)).message == (
        "❌ [test.i18n_two] sums and maxima: on case 1 (inputs: tensor(3, 4) float32) your function should "
        "return 2 values (a tuple), but it returned Tensor")
    assert check("test.i18n_two", lambda x: (x.sum(dim=-1), x.amin(dim=-1))).message == (
        "❌ [test.i18n_two] sums and maxima: on case 1 (inputs: tensor(3, 4) float32) wrong values in the "
        "output number 2: 3 of 3 elements differ; first at index [0]: expected 3.0000, got 0.0000")
    set_language("zh")
    assert check("test.i18n_two", lambda x: x.sum(dim=-1)).message == (
        "❌ [test.i18n_two] 和与最大值：在第 1 个测试用例（输入：tensor(3, 4) float32）上，你的函数应当返回 2 个值"
        "（一个元组），但它返回的是 Tensor")
    assert check("test.i18n_two", lambda x: [x.sum(dim=-1)]).message.endswith("但它返回的是 1 个值")
    assert check("test.i18n_two", lambda x: (x.sum(dim=-1), x.amin(dim=-1))).message == (
        "❌ [test.i18n_two] 和与最大值：在第 1 个测试用例（输入：tensor(3, 4) float32）上，第 2 个输出的数值不对："
        "3 个元素中有 3 个不同；第一个在索引 [0] 处：应为 3.0000，实际为 0.0000")


def test_a_copy_where_a_view_is_asked_for():
    def copy(x):
        return x[0].clone()

    assert check("test.i18n_view", copy).message == (
        "❌ [test.i18n_view] first row: on case 1 (inputs: tensor(3, 4) float32) the values are right, but the "
        "result is a copy: the exercise asks for a view of argument 1 (x), a tensor that shares its memory "
        "instead of copying it")
    set_language("zh")
    assert check("test.i18n_view", copy).message == (
        "❌ [test.i18n_view] 第一行：在第 1 个测试用例（输入：tensor(3, 4) float32）上，数值是对的，但结果是一份拷贝："
        "这道练习要求返回第 1 个参数（x）的视图，即与它共享内存、不复制数据的张量")
    assert check("test.i18n_view", _first_row).passed


@pytest.mark.skipif(not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread(),
                    reason="the time limit needs SIGALRM timers in the main thread")
def test_a_time_out_in_both_languages():
    def forever(x):
        while True:
            pass

    reset_hints("test.i18n_rows")
    assert check("test.i18n_rows", forever, time_limit=0.2).message == (
        EN_CASE + "your function did not return within 0.2 s (the limit for all 2 cases together). Does a loop "
        "never reach its end?" + EN_HINT1)
    set_language("zh")
    reset_hints("test.i18n_rows")
    assert check("test.i18n_rows", forever, time_limit=0.2).message == (
        ZH_CASE + "你的函数没有在 0.2 秒内返回（这是全部 2 个测试用例加在一起的时限）。是不是有循环永远走不到终点？"
        + ZH_HINT1)


def test_the_language_is_read_when_the_message_is_made():
    # the registry was built at import, in English; switching afterwards is enough
    set_language("zh")
    assert check("test.i18n_rows", _row_sums).message.startswith(f"✅ {ZH_HEAD}：")
    set_language("en")
    assert check("test.i18n_rows", _row_sums).message.startswith(f"✅ {EN_HEAD}: ")


def test_mismatched_chinese_stages_are_refused():
    with pytest.raises(ValueError, match="hints_zh of 'test.i18n_bad' must have one stage per stage of hints"):
        Exercise(id="test.i18n_bad", title="t", reference=_row_sums, make_inputs=_table, hints=("a", "b"),
                 hints_zh=("甲",))
    with pytest.raises(ValueError, match="choices_zh of 'test.i18n_bad' must gloss each of the 2 choices"):
        Prediction(id="test.i18n_bad", question="q", answer="a", explain="e", choices=("a", "b"),
                   choices_zh=("甲",))


# ---------------------------------------------------------------------------
# predictions
# ---------------------------------------------------------------------------

NUMBER = register(Prediction(id="test.i18n_pairs", question="how many pairs?", question_zh="有多少对？", answer=17,
                             atol=0.5, explain="Count them.", explain_zh="数一数。"))
CHOICE = register(Prediction(id="test.i18n_layout", question="which layout?", question_zh="哪种布局？",
                             answer="half", choices=("interleaved", "half"), choices_zh=("交错布局", "对半布局"),
                             explain="Hugging Face pairs (i, i + d/2).",
                             explain_zh="Hugging Face 把 (i, i + d/2) 配成一对。"))

PREDICTIONS = {
    "number, not made yet": ("test.i18n_pairs", ...,
                             "⏳ [test.i18n_pairs] how many pairs?: not done yet. Replace the `...` with your "
                             "prediction (a number) before you run the cells that measure it.",
                             "⏳ [test.i18n_pairs] 有多少对？：尚未完成。先把 `...` 换成你的预测（一个数），"
                             "再运行后面测量它的单元格。"),
    "number, right": ("test.i18n_pairs", 17,
                      "✅ [test.i18n_pairs] how many pairs?: you predicted 17, which is right. Count them.",
                      "✅ [test.i18n_pairs] 有多少对？：你的预测是 17，答对了。数一数。"),
    "number, wrong": ("test.i18n_pairs", 18,
                      "❌ [test.i18n_pairs] how many pairs?: you predicted 18; the answer is 17. Count them.",
                      "❌ [test.i18n_pairs] 有多少对？：你的预测是 18；正确答案是 17。数一数。"),
    "choice, not made yet": ("test.i18n_layout", None,
                             "⏳ [test.i18n_layout] which layout?: not done yet. Replace the `...` with your "
                             "prediction (one of 'interleaved', 'half') before you run the cells that measure it.",
                             "⏳ [test.i18n_layout] 哪种布局？：尚未完成。先把 `...` 换成你的预测（以下之一："
                             "'interleaved'（交错布局）、'half'（对半布局）），再运行后面测量它的单元格。"),
    "choice, right": ("test.i18n_layout", " Half ",
                      "✅ [test.i18n_layout] which layout?: you predicted ' Half ', which is right. Hugging Face "
                      "pairs (i, i + d/2).",
                      "✅ [test.i18n_layout] 哪种布局？：你的预测是 ' Half '，答对了。Hugging Face 把 (i, i + d/2) "
                      "配成一对。"),
    "choice, wrong": ("test.i18n_layout", "interleaved",
                      "❌ [test.i18n_layout] which layout?: you predicted 'interleaved'; the answer is 'half'. "
                      "Hugging Face pairs (i, i + d/2).",
                      "❌ [test.i18n_layout] 哪种布局？：你的预测是 'interleaved'；正确答案是 'half'（对半布局）。"
                      "Hugging Face 把 (i, i + d/2) 配成一对。"),
}


@pytest.mark.parametrize("outcome", list(PREDICTIONS))
def test_each_prediction_outcome_in_the_chosen_language(outcome):
    exercise_id, value, english, chinese = PREDICTIONS[outcome]
    assert check(exercise_id, value).message == english
    set_language("zh")
    assert check(exercise_id, value).message == chinese
    set_language("en")
    assert check(exercise_id, value).message == english


def test_a_chinese_gloss_counts_as_its_choice():
    set_language("zh")
    assert check("test.i18n_layout", "对半布局").passed
    assert not check("test.i18n_layout", "交错布局").passed
    set_language("en")   # in either language
    assert check("test.i18n_layout", "对半布局").passed


def test_bad_predictions_are_refused_in_the_chosen_language():
    with pytest.raises(ValueError, match=r"^your prediction for test.i18n_layout must be one of \['interleaved', "
                                         r"'half'\]; got 'diagonal'$"):
        check("test.i18n_layout", "diagonal")
    with pytest.raises(TypeError, match=r"^your prediction for test.i18n_pairs must be a number; got 'seventeen' "
                                        r"\(str\)$"):
        check("test.i18n_pairs", "seventeen")
    set_language("zh")
    with pytest.raises(ValueError, match=r"^你对 test.i18n_layout 的预测必须是以下之一：'interleaved'（交错布局）、"
                                         r"'half'（对半布局）；你给的是 'diagonal'$"):
        check("test.i18n_layout", "diagonal")
    with pytest.raises(TypeError, match=r"^你对 test.i18n_pairs 的预测必须是一个数；你给的是 'seventeen'（str）$"):
        check("test.i18n_pairs", "seventeen")
    with pytest.raises(ValueError, match=r"^你对 test.i18n_pairs 的预测必须是一个有限的数；你给的是 nan$"):
        check("test.i18n_pairs", float("nan"))


# ---------------------------------------------------------------------------
# the notebooks' own exercises, in Chinese
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("exercise_id", _notebook_ids())
def test_every_notebook_stub_is_reported_in_chinese(exercise_id):
    ex = get_exercise(exercise_id)
    set_language("zh")
    if isinstance(ex, Prediction):
        message = check(exercise_id, ...).message
        assert message.startswith(f"⏳ [{exercise_id}] {ex.question_zh}：尚未完成。先把 `...` 换成你的预测（"), message
        assert ex.question not in message
        for choice, gloss in zip(ex.choices, ex.choices_zh):
            assert f"{choice!r}（{gloss}）" in message, message
        return
    def stub(*args):
        raise NotImplementedError

    reset_hints(exercise_id)
    message = check(exercise_id, stub).message
    assert message.startswith(f"⏳ [{exercise_id}] {ex.title_zh}：尚未完成。"), message
    more = "（再试一次：下一次没通过时，会给出更具体的提示）"
    assert message.endswith(f"\n   提示 1/{len(ex.hints_zh)}：{ex.hints_zh[0]}{more}"), message
    assert ex.title not in message and ex.hints[0] not in message


@pytest.mark.parametrize("exercise_id", ["00.pair_norms", "01.causal_mask", "06.reshape_for_broadcast",
                                         "07.rotate_half"])
def test_worked_solutions_pass_in_chinese(exercise_id):
    number, name = exercise_id.split(".", 1)
    set_language("zh")
    res = check(exercise_id, getattr(_solutions(number), name))
    assert res.passed, res.message
    assert res.message == f"✅ [{exercise_id}] {get_exercise(exercise_id).title_zh}：全部 5 个测试用例都通过了。"


@pytest.mark.parametrize("exercise_id,answer,shown,wrong", [("06.cache_holds", "rotated", "'rotated'", "not rotated"),
                                                            ("06.cache_holds", "已旋转", "'已旋转'", "未旋转"),
                                                            ("05.nonzero_entries", 256, "256", 128)])
def test_notebook_predictions_are_explained_in_chinese(exercise_id, answer, shown, wrong):
    p = get_exercise(exercise_id)
    set_language("zh")
    res = check(exercise_id, answer)
    assert res.passed
    assert res.message == f"✅ [{exercise_id}] {p.question_zh}：你的预测是 {shown}，答对了。{p.explain_zh}"
    res = check(exercise_id, wrong)
    assert not res.passed and res.message.endswith(f"。{p.explain_zh}") and p.explain not in res.message
