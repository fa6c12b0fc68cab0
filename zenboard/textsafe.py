"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Test ids, failure messages, pytest's output and container output come from code zenboard does
not control. Written raw, an escape sequence in a test id retitles the terminal (OSC 0) or
writes the clipboard (OSC 52). `visible` spells every C0 and C1 control character (and DEL, and
a lone surrogate, which a terminal cannot encode) as a `\\x1b`-style escape instead, and the
bidirectional controls too (U+202E turns the rest of a line around: a failure message could
show a test id or a path other than its own).
"""

from __future__ import annotations

import re

_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The marks, embeddings, overrides and isolates that reorder how a line is shown."""
_ONE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
"""Everything but tab: a single-line text must not break its line either."""
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
"""Newline and tab stay in a multi-line text (a traceback)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, multiline: bool = False) -> str:
    """`text` with its control characters spelled out (`\\x1b`), safe to print."""
    pattern = _MULTI_LINE if multiline else _ONE_LINE
    return pattern.sub(_escape, text)


_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^/\s]*)@")
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|\S+)")
HIDDEN = "***"


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every password hidden: a URL's (`postgresql://user:***@host/db`), a libpq
    conninfo's (`password=***`) and each of `secrets` wherever it appears (an error message a
    server or a driver wrote may quote it)."""
    hidden = _URL_PASSWORD.sub(lambda m: m["head"] + HIDDEN + "@", text)
    hidden = _CONNINFO_PASSWORD.sub(lambda m: m["head"] + HIDDEN, hidden)
    for secret in secrets:
        if secret:
            hidden = hidden.replace(secret, HIDDEN)
    return hidden


def url_secrets(url: str) -> tuple[str, ...]:
    """The password written in a URL, as written (percent-encoded) and decoded: both must be
    hidden wherever they might be quoted."""
    from urllib.parse import unquote

    match = _URL_PASSWORD.search(url)
    if not match or not match["password"]:
        return ()
    return tuple({match["password"], unquote(match["password"])})
