"""The test records of a JSON report file, read one at a time through a small window.

pytest-json-report's file of a run of 20,000 tests is about 12 MB; `json.load` would hold its
bytes, its text and every record decoded at once, several times the size of everything else
zenboard keeps. `report_tests` decodes one record at a time from about a megabyte of text, with
the same parser and the same verdict on a damaged file as `json.load`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

WINDOW = 1 << 20
"""Bytes read at a time."""
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = frozenset("0123456789.eE+-")


def report_tests(file: IO[bytes], key: str = "tests", window: int = WINDOW) -> Iterator[Any]:
    """The items of the top-level `key` array of the JSON document in `file`, one at a time.

    Raises ValueError (after the items before the fault) where the file is not one JSON
    document, as `json.load` would, or holds `key` twice at the top level (`json.load` would
    keep the last; pytest-json-report never writes that). A document that is not an object, or
    whose `key` is not an array, has no items.
    """
    reader = _Reader(file, window)
    if reader.peek() != "{":
        reader.value()
        reader.end()
        return
    reader.pos += 1
    seen = False
    if reader.peek() == "}":
        reader.pos += 1
        reader.end()
        return
    while True:
        name = reader.key()
        reader.take(":")
        if name == key:
            if seen:
                raise ValueError(f"{key!r} twice at the top level")
            seen = True
            if reader.peek() == "[":
                yield from reader.items()
            else:
                reader.value()
        else:
            reader.value()
        if reader.take(",", "}") == "}":
            break
    reader.end()


class _Reader:
    """A window on the text of `file`: what is not parsed yet, refilled as parsing needs."""

    def __init__(self, file: IO[bytes], window: int) -> None:
        self.file = file
        self.window = window
        first = file.read(window)
        # The encoding as json.loads detects it (UTF-8, 16 or 32; a BOM), lone surrogates kept.
        self.decoder = codecs.getincrementaldecoder(json.detect_encoding(first))("surrogatepass")
        self.text = self.decoder.decode(first, final=not first)
        self.pos = 0
        self.eof = not first

    def fill(self) -> bool:
        """Read more of the file (dropping what was parsed); False at its end."""
        if self.eof:
            return False
        chunk = self.file.read(self.window)
        self.eof = not chunk
        self.text = self.text[self.pos :] + self.decoder.decode(chunk, final=self.eof)
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character after whitespace ("" at the end)."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.fill():
                return self.text[self.pos : self.pos + 1]

    def take(self, *chars: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            raise ValueError(f"expected {' or '.join(chars)} at {self.pos}")
        self.pos += 1
        return char

    def value(self) -> Any:
        """The next JSON value, decoded. A value is only taken when what follows it cannot
        continue a number (or the file ended): `12` or `1.` at the window's edge may be the
        start of `123` or `1.5e3`."""
        self.peek()
        while True:
            try:
                value, end = _SCAN(self.text, self.pos)
            except (StopIteration, ValueError):
                if not self.fill():
                    raise ValueError(f"not a JSON value at {self.pos}") from None
                continue
            if (end < len(self.text) and self.text[end] not in _NUMBER) or not self.fill():
                self.pos = end
                return value

    def key(self) -> str:
        if self.peek() != '"':
            raise ValueError(f"expected a key at {self.pos}")
        while True:
            try:
                name, end = json.decoder.scanstring(self.text, self.pos + 1)  # type: ignore[attr-defined]
            except ValueError:
                if not self.fill():
                    raise
                continue
            self.pos = end
            return str(name)

    def items(self) -> Iterator[Any]:
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.take(",", "]") == "]":
                return

    def end(self) -> None:
        if self.peek():
            raise ValueError(f"extra data at {self.pos}")
