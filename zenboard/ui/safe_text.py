"""The one way the dashboard shows text it does not control: literal, with control characters seen.

Test ids, failure messages, captured output, collection errors, worker ids, container labels
and changed file names come from code zenboard does not control. Two things go wrong when such
a string reaches a widget as it is:
- an escape sequence in it (`\\x1b]0;...\\x07`, `\\x9b...`) goes to the terminal and is obeyed:
  Rich keeps ESC and the C1 codes in a `Text`, and a raw `Segment` keeps everything;
- a `str` handed to a markup-parsing API (`Static`, `notify`, a border title, a Rich table
  cell) is read as markup: `[bold red]boom[/]` in a test id is styled, and a stray `[/]` in a
  failure message raises `MarkupError` and takes the dashboard down.

So untrusted text is shown as a `rich.text.Text` (which never parses markup) built here, or,
where a widget draws raw segments, as `visible()`'s plain string.
"""

from __future__ import annotations

from rich.text import Text

from zenboard.textsafe import visible

__all__ = ["literal", "visible"]


def literal(text: str, style: str = "", multiline: bool = False) -> Text:
    """`text` as a Rich `Text` that shows every character as written: never markup, never an
    escape sequence (control characters spelled `\\x1b`; newline and tab kept if `multiline`)."""
    return Text(visible(text, multiline), style=style)
