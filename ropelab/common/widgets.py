"""The base of every ropelab widget: computed and drawn in the browser, checked against Python.

A widget is an `anywidget <https://anywidget.dev>`_ whose front end is one small JavaScript
module next to the lesson (``lessonNN_topic/widget.js``, joined with the shared
``common/widget_kit.js``; no build step). The page computes and draws every slider move
itself, so a move never waits for a kernel; the same module runs in JupyterLab, in
presentation mode (Voila), in VS Code and Colab, and on the course website.

Python stays the reference:

* each control is a synced trait (``w.m = 5`` moves the page; moving the page sets ``w.m``);
  a value the lesson's model refuses raises a clear error and leaves the widget as it was,
  and the page says why, whether the value came from Python or from the page;
* ``w.state`` is the lesson's pure model (ropelab's own functions) for the current values,
  and ``w.numbers()`` the numbers the readout shows, by the keys the page marks them with
  (``<span data-key=...>``): the browser tests compare the two;
* the output of a widget carries, besides the live view, a ``text/html`` copy with the module
  and its starting state, which draws and reacts the same without any kernel (a website,
  an HTML export). It is deterministic, so strict nbval compares it like any output.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar, Mapping

import anywidget
import traitlets

from . import i18n

__all__ = ["BrowserWidget", "RefusedValue", "RefusedType", "widget_module", "static_html"]


@lru_cache(maxsize=None)
def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _kit() -> str:
    return _read("ropelab.common", "widget_kit.js")


def widget_module(package: str, name: str = "widget.js") -> str:
    """The ES module of a widget: the kit, the lesson's ``WIDGET`` definition and its ``render``."""
    return (f"{_kit()}\n{_read(package, name)}\n"
            "export default { render(ctx) { return ropelabMount(WIDGET, ctx); } };\n")


def _json(data: Mapping[str, Any]) -> str:
    # no "</script>" can end the script early
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def static_html(package: str, state: Mapping[str, Any], name: str, text: str = "",
                module: str = "widget.js") -> str:
    """The widget as self-contained HTML: a ``<div>`` and a plain script that draws into it.

    The script holds the kit, the module and ``state`` (the synced values), and uses a
    stand-in model, so it works on a static page with no kernel. ``text`` is shown where
    scripts do not run.
    """
    body = f"{_kit()}\n{_read(package, module)}"
    return (
        f'<div class="ropelab-static" data-widget="{name}"><noscript>{text}</noscript></div>\n'
        "<script>(function () {\n"
        f"{body}\n"
        "const host = document.currentScript.previousElementSibling;\n"
        "host.textContent = '';\n"
        f"ropelabMount(WIDGET, {{ model: ropelabStaticModel({_json(state)}), el: host }});\n"
        "})();</script>"
    )


class RefusedValue(traitlets.TraitError, ValueError):
    """A control value the lesson's model refuses (a ``ValueError``; a ``TraitError`` too, so
    that traitlets puts every trait back when it comes with others, e.g. from the page)."""


class RefusedType(traitlets.TraitError, TypeError):
    """A control value of the wrong type (e.g. ``m = 1.5`` for a whole-number position)."""


class BrowserWidget(anywidget.AnyWidget):
    """Base class: a subclass sets ``_package`` (the lesson package holding ``widget.js``),
    ``_widget_name``, ``_controls`` (the names of its control traits), ``compute`` (the pure
    model) and ``numbers`` (what the readout shows)."""

    _package: ClassVar[str] = ""
    _widget_name: ClassVar[str] = "widget"
    _controls: ClassVar[tuple[str, ...]] = ()

    language = traitlets.Unicode("en").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    fixed = traitlets.Dict().tag(sync=True)   # parameters that no control changes

    def __init_subclass__(cls, **kwargs):
        if cls.__dict__.get("_package"):
            cls._esm = widget_module(cls._package)
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs):
        kwargs.setdefault("language", i18n.get_language())
        super().__init__(**kwargs)
        self.observe(self._clear_error, names=list(self._controls))

    def _clear_error(self, change) -> None:
        self.error = ""

    # -- the Python reference ------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Current value of every control, by name."""
        return {name: getattr(self, name) for name in self._controls}

    def compute(self, **values) -> Mapping[str, Any]:  # pragma: no cover - every subclass has one
        raise NotImplementedError

    @property
    def state(self) -> Mapping[str, Any]:
        """The lesson's model for the current values (what the page computes for itself)."""
        return self.compute(**self.values())

    def numbers(self, values: Mapping[str, Any] | None = None) -> dict[str, float]:  # pragma: no cover
        """The numbers of the readout, by the ``data-key`` the page gives them, for ``values``
        (a dict of control values, e.g. read back from a page; default: the current ones)."""
        raise NotImplementedError

    def _state_for(self, values: Mapping[str, Any] | None) -> Mapping[str, Any]:
        return self.state if values is None else self.compute(**{**self.values(), **values})

    # -- refused values ------------------------------------------------------------------
    def _refuse(self, name: str, value: Any) -> None:
        """Run the model on the values with ``name = value``; on failure say why and raise."""
        values = self.values()
        values[name] = value
        try:
            self.compute(**values)
        except (TypeError, ValueError) as err:
            self._say_refused(err)
            raise (RefusedType if isinstance(err, TypeError) else RefusedValue)(str(err)) from err

    def _say_refused(self, err: Exception) -> None:
        self.error = i18n.tr(f"⚠ not applied: {err}. Back to the last values that worked.",
                             f"⚠ 未应用：{err}。已恢复到上一组有效的值。")

    def set_state(self, sync_data):
        """Values from the page: one the model refuses is not kept, and the page is put back."""
        try:
            super().set_state(sync_data)
        except (TypeError, ValueError, traitlets.TraitError) as err:
            # traitlets has put every trait back (the message with them): say it again, resend
            self._say_refused(err)
            self.send_state([k for k in sync_data if k in self._controls] or None)

    # -- what a notebook stores ----------------------------------------------------------
    def _static_state(self) -> dict[str, Any]:
        return {**self.values(), "language": self.language, "fixed": dict(self.fixed), "error": ""}

    def _repr_mimebundle_(self, **kwargs):
        data, meta = super()._repr_mimebundle_(**kwargs)  # the live view, and repr(self) as text/plain
        data["text/html"] = static_html(self._package, self._static_state(), self._widget_name,
                                        text=repr(self))
        return data, meta

    def __repr__(self) -> str:  # short and deterministic: stored notebook outputs show it
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.values().items())
        return f"{self._widget_name}({args})"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)
