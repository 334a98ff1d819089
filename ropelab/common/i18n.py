"""The course's two languages: English (``"en"``, the default) and Chinese (``"zh"``).

``ropelab.set_language("zh")`` switches every text ropelab writes for the reader (checker
messages and hints, widget labels and readouts) to Chinese; the notebooks of
``notebooks/zh/`` call it in their first cell. Code, identifiers and figures stay the same
in both languages (figure text is English or language-neutral, so it renders without CJK fonts).

Inside ropelab a text with two versions is written ``tr(english, chinese)``: both versions
sit side by side where the text is made, so one cannot change without the other in sight.
"""
from __future__ import annotations

__all__ = ["LANGUAGES", "set_language", "get_language", "tr"]

LANGUAGES = ("en", "zh")
_current = ["en"]
_listeners: list = []


def set_language(language: str) -> None:
    """Choose the language of ropelab's messages: ``"en"`` (English) or ``"zh"`` (中文)."""
    if not isinstance(language, str):
        raise TypeError(f"language must be a string, 'en' or 'zh'; got {type(language).__name__}")
    lang = language.strip().lower().replace("_", "-")
    lang = {"zh-cn": "zh", "zh-hans": "zh", "chinese": "zh", "中文": "zh", "english": "en"}.get(lang, lang)
    if lang not in LANGUAGES:
        raise ValueError(f"language must be 'en' (English) or 'zh' (中文); got {language!r}")
    _current[0] = lang
    for listener in list(_listeners):
        listener(lang)


def get_language() -> str:
    """The language chosen with :func:`set_language` (``"en"`` until then)."""
    return _current[0]


def tr(en: str, zh: str) -> str:
    """``en`` or ``zh``, whichever the current language is."""
    return zh if _current[0] == "zh" else en


def on_change(listener) -> None:
    """Call ``listener(language)`` after every :func:`set_language` (widgets relabel themselves)."""
    _listeners.append(listener)
