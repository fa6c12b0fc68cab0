"""Turning noisy OCR text of a copy's header into a student: pure text handling."""

from __future__ import annotations

import pytest

from gradebook.ocr import Header, clean_name, fold, match_student, read_header

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("NOM : dupont  marie   N° 1O234", Header("Dupont Marie", "10234")),
        ("Name: HADDAD Amir ID: 2l345", Header("Haddad Amir", "21345")),
        ("nom:martin-dubois léa no 33333", Header("Martin-Dubois Léa", "33333")),
    ],
)
def test_read_header(line: str, expected: Header) -> None:
    assert read_header("scan noise\n" + line + "\nQ1 ...") == expected


def test_no_header_is_none() -> None:
    assert read_header("Q1 ...\nQ2 ...") is None


def test_clean_name() -> None:
    assert clean_name("  dupont   marie-claire ") == "Dupont Marie-Claire"


def test_fold_removes_accents_and_case() -> None:
    assert fold("Zoé  MÜLLER") == "zoe muller"


def test_match_by_number_then_by_name() -> None:
    roster = {"Dupont Marie": "12345", "Müller Zoé": "54321"}
    assert match_student(Header("Whoever", "12345"), roster) == "12345"
    assert match_student(Header("Muller Zoe", "99999"), roster) == "54321"
    assert match_student(Header("Nobody", "99999"), roster) is None
