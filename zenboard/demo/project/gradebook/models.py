"""The domain: students, exams with a rubric, and the copies students hand in."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
GROUP = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")


class ValidationError(ValueError):
    """Bad data from a user or a file; the message names the field."""


@dataclass(frozen=True)
class Student:
    last_name: str
    first_name: str
    email: str
    group: str
    id: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    def validated(self) -> Student:
        """A normalised copy (trimmed names, lowercase email, uppercase group) or ValidationError."""
        last, first = self.last_name.strip(), self.first_name.strip()
        if not last:
            raise ValidationError("last_name: required")
        if not first:
            raise ValidationError("first_name: required")
        email = validate_email(self.email)
        group = self.group.strip().upper()
        if not GROUP.match(group):
            raise ValidationError(f"group: {self.group!r} is not a group code like 'TS-2'")
        return Student(last, first, email, group, self.id)


def validate_email(email: str) -> str:
    normalised = email.strip().lower()
    if not EMAIL.match(normalised):
        raise ValidationError(f"email: {email!r} is not an email address")
    return normalised


@dataclass(frozen=True)
class Question:
    label: str
    points: float


@dataclass(frozen=True)
class Exam:
    title: str
    rubric: tuple[Question, ...]
    id: int | None = None

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.rubric)

    def validated(self) -> Exam:
        if not self.title.strip():
            raise ValidationError("title: required")
        if not self.rubric:
            raise ValidationError("rubric: an exam needs at least one question")
        labels = [q.label for q in self.rubric]
        if len(set(labels)) != len(labels):
            raise ValidationError("rubric: question labels must be unique")
        for q in self.rubric:
            if q.points <= 0 or q.points * 2 != int(q.points * 2):
                raise ValidationError(f"rubric: {q.label} is worth {q.points}, expected a positive multiple of 0.5")
        return Exam(self.title.strip(), self.rubric, self.id)
