"""Untrusted text reaches the terminal with its control characters shown, never obeyed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.textsafe import visible


def test_control_characters_are_spelled_out() -> None:
    assert visible("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert visible("csi\x9b31m") == "csi\\x9b31m"
    assert visible("line\nbreak\r") == "line\\x0abreak\\x0d"
    assert visible("tab\tstays") == "tab\tstays"
    assert visible("trace\nback\x1b", multiline=True) == "trace\nback\\x1b"
    assert visible("lone \udcff") == "lone \\udcff"
    assert visible("plain ünïcode ✓") == "plain ünïcode ✓"
    # a right-to-left override shows `test_ok.py` for "test_\u202eyp.ko"; isolates and marks too
    assert visible("test_\u202eyp.ko") == "test_\\u202eyp.ko"
    assert visible("\u2066a\u2069\u200f", multiline=True) == "\\u2066a\\u2069\\u200f"
    assert visible("עברית مرحبا") == "עברית مرحبا"  # right-to-left text itself stays


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_visible_text_holds_no_control_character_and_encodes(text: str) -> None:
    shown = visible(text)
    assert not any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not set(shown) & set(
        "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    shown.encode("utf-8")  # no lone surrogate left
    assert visible(shown) == shown  # idempotent: safe text stays as it is


@pytest.mark.slow
def test_run_ci_never_writes_an_escape_sequence_from_a_test(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_evil.py": """
            import pytest

            @pytest.mark.parametrize("title", ["\\x1b]0;pwned\\x07"])
            def test_title(title):
                assert False, "clipboard \\x1b]52;c;ZXZpbA==\\x07 and \\x9b31m red"
        """,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x9b" not in done.stdout
    assert "\\x1b]52;c;ZXZpbA==\\x07" in done.stdout
