"""Importing a class list from the school's CSV export (comma or semicolon, maybe with a BOM)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gradebook.models import Student, ValidationError

COLUMNS = ("last_name", "first_name", "email", "group")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    students: list[Student] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def detect_delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def parse_students(text: str) -> ImportResult:
    """Every valid row becomes a Student; every bad row an error naming its line. Never raises."""
    text = text.lstrip("\ufeff")
    result = ImportResult()
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        result.errors.append(RowError(1, "empty file: expected a header " + ",".join(COLUMNS)))
        return result
    reader = csv.reader(io.StringIO(text), delimiter=detect_delimiter(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        result.errors.append(RowError(1, f"header: missing column(s) {', '.join(missing)}"))
        return result
    index = {name: header.index(name) for name in COLUMNS}
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            result.errors.append(RowError(line, f"expected {len(header)} columns, found {len(row)}"))
            continue
        try:
            cells = {c: row[index[c]] for c in COLUMNS}
            student = Student(cells["last_name"], cells["first_name"], cells["email"], cells["group"]).validated()
        except ValidationError as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        if student.email in seen:
            result.errors.append(RowError(line, f"email: {student.email} already on line {seen[student.email]}"))
            continue
        seen[student.email] = line
        result.students.append(student)
    return result
