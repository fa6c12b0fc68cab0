"""The one way the dashboard shows text it does not control: literal, with control characters seen.

Test ids, failure messages, captured output, worker ids, container labels and file names come
from code zenboard does not control: an escape sequence in them would be obeyed by the terminal,
and a `str` handed to a markup-parsing API (`Static`, `notify`, a border title, a Rich table
cell) would be read as markup (a stray `[/]` raises `MarkupError`). So untrusted text is shown
as a `rich.text.Text` built here, or, where a widget draws raw segments, as `visible()`'s string.
"""

from __future__ import annotations

from rich.text import Text

from zenboard.textsafe import visible

__all__ = ["literal", "visible"]


def literal(text: str, style: str = "", multiline: bool = False) -> Text:
    """`text` as a Rich `Text` that shows every character as written: never markup, never an
    escape sequence (control characters spelled `\\x1b`; newline and tab kept if `multiline`)."""
    return Text(visible(text, multiline), style=style)
