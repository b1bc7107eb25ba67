"""The command line's consoles: what a user wrote is shown as text, never run as markup or control codes.

Scenario names, policy names, paths and error messages come from users. Rich
would read ``[/]`` in them as markup (and crash on a stray closing tag) and pass
an escape sequence such as ``\\x1b[2J`` to the terminal (which clears it). So
these consoles have markup off, and every string they render has its control
characters shown as escapes (``\\x1b``); styles are applied with
:func:`styled`, never by markup in the text.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = ["PlainConsole", "visible", "styled"]

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with every control character but the newline written as an escape (``\\x1b``)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def styled(text: str, style: str) -> Text:
    """``text`` in ``style``, its control characters made visible."""
    return Text(visible(text), style=style)


class PlainConsole(Console):
    """A rich Console for untrusted text: no markup, no emoji codes, control characters escaped."""

    def __init__(self, **kwargs: Any):
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)
