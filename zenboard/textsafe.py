"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Test ids, failure messages, pytest's output and container output come from code zenboard does
not control. Written raw, an escape sequence in a test id retitles the terminal (OSC 0) or
writes the clipboard (OSC 52). `visible` spells every C0 and C1 control character (and DEL, and
a lone surrogate, which a terminal cannot encode) as a `\\x1b`-style escape instead.
"""

from __future__ import annotations

import re

_ONE_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
"""Everything but tab: a single-line text must not break its line either."""
_MULTI_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Newline and tab stay in a multi-line text (a traceback)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, multiline: bool = False) -> str:
    """`text` with its control characters spelled out (`\\x1b`), safe to print."""
    pattern = _MULTI_LINE if multiline else _ONE_LINE
    return pattern.sub(_escape, text)
