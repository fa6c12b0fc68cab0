"""Parsing the school's class-list export."""

from __future__ import annotations

import pytest

from gradebook.csv_import import detect_delimiter, parse_students

pytestmark = pytest.mark.unit

HEADER = "last_name,first_name,email,group\n"


def test_a_clean_file_imports_every_row() -> None:
    result = parse_students(HEADER + "Dupont,Marie,marie@x.fr,TS-2\nHaddad,Amir,amir@x.fr,TS-2\n")
    assert result.ok
    assert [s.full_name for s in result.students] == ["DUPONT Marie", "HADDAD Amir"]


@pytest.mark.parametrize(
    ("last", "first"),
    [("Müller", "Zoé"), ("N'Diaye", "Aïssata"), ("O'Brien [jr]", "Seán"), ("李", "小龙")],
)
def test_names_keep_their_letters(last: str, first: str) -> None:
    result = parse_students(HEADER + f"{last},{first},someone@x.fr,1A\n")
    assert result.ok
    assert (result.students[0].last_name, result.students[0].first_name) == (last, first)


def test_semicolons_and_a_bom_are_accepted() -> None:
    result = parse_students("\ufefflast_name;first_name;email;group\nDupont;Marie;marie@x.fr;TS-2\n")
    assert result.ok
    assert result.students[0].email == "marie@x.fr"


@pytest.mark.parametrize(("header", "expected"), [("a,b,c", ","), ("a;b,c;d", ";"), ("single", ",")])
def test_detect_delimiter(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected


def test_columns_may_come_in_any_order() -> None:
    result = parse_students("email,group,first_name,last_name\nmarie@x.fr,TS-2,Marie,Dupont\n")
    assert result.students[0].full_name == "DUPONT Marie"


def test_blank_lines_are_skipped() -> None:
    result = parse_students(HEADER + "\nDupont,Marie,marie@x.fr,TS-2\n,,,\n")
    assert result.ok
    assert len(result.students) == 1


def test_bad_rows_are_reported_with_their_line() -> None:
    text = HEADER + "Dupont,Marie,marie@x.fr,TS-2\nHaddad,Amir,not-an-email,TS-2\nShort,Row\n"
    result = parse_students(text)
    assert [s.last_name for s in result.students] == ["Dupont"]
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [
        (3, "email"),
        (4, "expected 4 columns, found 2"),
    ]


def test_duplicate_emails_point_to_the_first_line() -> None:
    result = parse_students(HEADER + "Dupont,Marie,marie@x.fr,TS-2\nDupont,Marie,MARIE@x.fr,TS-2\n")
    assert result.errors[0].line == 3
    assert "already on line 2" in result.errors[0].message


def test_missing_columns_are_named() -> None:
    result = parse_students("last_name,first_name\nDupont,Marie\n")
    assert not result.students
    assert result.errors[0].message == "header: missing column(s) email, group"


@pytest.mark.parametrize("text", ["", "\n", "\ufeff"], ids=["empty", "newline", "bom-only"])
def test_an_empty_file_is_an_error_not_a_crash(text: str) -> None:
    result = parse_students(text)
    assert result.errors[0].line == 1
    assert "empty file" in result.errors[0].message
