"""Reading a report file's test records one at a time gives what `json.load` gives, whatever
the window's size: the same records, and a damaged file refused as `json.load` refuses it."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from zenboard.records import report_tests as rt

IN_CI = bool(os.environ.get("CI"))
SETTINGS = settings(
    max_examples=150,
    deadline=None,  # a loaded 2-core runner must not turn slow examples into failures
    **(
        {"derandomize": True, "database": None, "phases": (Phase.explicit, Phase.generate)}
        if IN_CI
        else {}
    ),
)
"""CI sees the same examples on every run (as tests/test_decoder_properties.py)."""

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
reports = st.one_of(
    st.fixed_dictionaries(
        {"created": st.floats(allow_nan=False), "tests": st.lists(json_values, max_size=6)},
        optional={"summary": json_values, "environment": json_values},
    ),
    st.dictionaries(st.text(max_size=6), json_values),
    json_values,
)


def _expected(text: bytes) -> list[Any]:
    data = json.loads(text)
    tests = data.get("tests") if isinstance(data, dict) else None
    return tests if isinstance(tests, list) else []


def _read(text: bytes, window: int = rt.WINDOW) -> list[Any]:
    return list(rt.report_tests(io.BytesIO(text), window=window))


@SETTINGS
@given(report=reports, window=st.integers(1, 40), indent=st.sampled_from([None, 1]))
def test_records_match_json_load_for_any_window(
    report: Any, window: int, indent: int | None
) -> None:
    text = json.dumps(report, indent=indent).encode()
    assert _read(text, window) == _expected(text)


@SETTINGS
@given(report=reports, window=st.integers(1, 40), data=st.data())
def test_a_damaged_file_is_refused_as_json_load_refuses_it(
    report: Any, window: int, data: st.DataObject
) -> None:
    text = json.dumps(report).encode()
    cut = data.draw(st.integers(0, len(text)))
    damaged = data.draw(st.sampled_from([text[:cut], text[:cut] + b"x" + text[cut:]]))
    try:
        expected: list[Any] | None = _expected(damaged)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError, match=r"."):  # json's words or the reader's: any
            _read(damaged, window)
    else:
        assert _read(damaged, window) == expected


def test_a_number_at_the_windows_edge_is_read_whole() -> None:
    assert _read(b'{"tests": [12345678901234567890, 2]}', 12) == [12345678901234567890, 2]


def test_two_tests_arrays_are_a_damaged_file() -> None:
    with pytest.raises(ValueError, match="twice"):
        _read(b'{"tests": [1], "tests": [2]}')


def test_a_file_with_a_bom_or_in_utf_16_reads_as_json_load_reads_it() -> None:
    doc = '{"tests": [{"nodeid": "t.py::\\u00e9"}]}'
    for encoded in (b"\xef\xbb\xbf" + doc.encode(), doc.encode("utf-16")):
        assert _read(encoded) == _expected(encoded) == [{"nodeid": "t.py::é"}]
