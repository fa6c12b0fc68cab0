"""Validation of students and exams before anything is stored."""

from __future__ import annotations

import pytest

from gradebook.models import Exam, Question, Student, ValidationError, validate_email

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("email", ["marie.dupont@lycee.fr", "  Amir.Haddad@Example.org ", "o'brien@school.ie"])
def test_valid_emails_are_normalised(email: str) -> None:
    assert validate_email(email) == email.strip().lower()


@pytest.mark.parametrize("email", ["", "marie@", "marie dupont@lycee.fr", "marie@lycee"])
def test_invalid_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationError, match="email"):
        validate_email(email)


def test_student_full_name() -> None:
    assert Student("Dupont", "Marie", "m@x.fr", "TS-2").full_name == "DUPONT Marie"


def test_student_is_normalised() -> None:
    student = Student(" Dupont ", " Marie", "M@X.FR", "ts-2").validated()
    assert student == Student("Dupont", "Marie", "m@x.fr", "TS-2")


@pytest.mark.parametrize(
    ("field", "student"),
    [
        ("last_name", Student(" ", "Marie", "m@x.fr", "TS-2")),
        ("first_name", Student("Dupont", "", "m@x.fr", "TS-2")),
        ("group", Student("Dupont", "Marie", "m@x.fr", "terminale S 2")),
    ],
)
def test_student_fields_are_required(field: str, student: Student) -> None:
    with pytest.raises(ValidationError, match=field):
        student.validated()


def test_exam_max_score() -> None:
    assert Exam("Optics", (Question("1", 2.5), Question("2", 7.5))).max_score == 10


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        ((), "at least one question"),
        ((Question("1", 2), Question("1", 3)), "unique"),
        ((Question("1", 0),), "positive multiple"),
        ((Question("1", 1.25),), "positive multiple"),
    ],
    ids=["empty", "duplicate", "zero", "quarter-point"],
)
def test_exam_rubric_is_checked(rubric: tuple[Question, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Exam("Optics", rubric).validated()


def test_exam_needs_a_title() -> None:
    with pytest.raises(ValidationError, match="title"):
        Exam("   ", (Question("1", 2),)).validated()
