"""Persistence over sqlite3: students, exams, copies, locks and scores.

Every write runs in `atomic()`, a savepoint, so it nests inside an outer transaction the way
Django's `atomic` does; the tests wrap each test in one and roll it back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from gradebook import grading
from gradebook.models import Exam, Question, Student, ValidationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS student (
    id INTEGER PRIMARY KEY, last_name TEXT NOT NULL, first_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE, student_group TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exam (id INTEGER PRIMARY KEY, title TEXT NOT NULL, rubric TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS copy (
    id INTEGER PRIMARY KEY, exam_id INTEGER NOT NULL REFERENCES exam(id),
    student_id INTEGER NOT NULL REFERENCES student(id), locked_by TEXT, scores TEXT,
    UNIQUE (exam_id, student_id)
);
"""


class NotFound(LookupError):
    pass


class LockConflict(RuntimeError):
    pass


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.row_factory = sqlite3.Row
    return conn


class Store:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._savepoints = count()

    def create_schema(self) -> None:
        self.conn.executescript(SCHEMA)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        name = f"sp{next(self._savepoints)}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")

    # students
    def add_student(self, student: Student) -> Student:
        s = student.validated()
        try:
            with self.atomic():
                cur = self.conn.execute(
                    "INSERT INTO student (last_name, first_name, email, student_group) VALUES (?, ?, ?, ?)",
                    (s.last_name, s.first_name, s.email, s.group),
                )
        except sqlite3.IntegrityError:
            raise ValidationError(f"email: {s.email} is already registered") from None
        return Student(s.last_name, s.first_name, s.email, s.group, cur.lastrowid)

    def student(self, student_id: int) -> Student:
        row = self.conn.execute("SELECT * FROM student WHERE id = ?", (student_id,)).fetchone()
        if row is None:
            raise NotFound(f"student {student_id}")
        return Student(row["last_name"], row["first_name"], row["email"], row["student_group"], row["id"])

    def students(self, group: str | None = None) -> list[Student]:
        query = "SELECT id FROM student ORDER BY last_name, first_name"
        args: tuple[str, ...] = ()
        if group:
            query = "SELECT id FROM student WHERE student_group = ? ORDER BY last_name, first_name"
            args = (group.upper(),)
        return [self.student(row["id"]) for row in self.conn.execute(query, args).fetchall()]

    # exams
    def add_exam(self, exam: Exam) -> Exam:
        e = exam.validated()
        rubric = json.dumps([[q.label, q.points] for q in e.rubric])
        with self.atomic():
            cur = self.conn.execute("INSERT INTO exam (title, rubric) VALUES (?, ?)", (e.title, rubric))
        return Exam(e.title, e.rubric, cur.lastrowid)

    def exam(self, exam_id: int) -> Exam:
        row = self.conn.execute("SELECT * FROM exam WHERE id = ?", (exam_id,)).fetchone()
        if row is None:
            raise NotFound(f"exam {exam_id}")
        rubric = tuple(Question(label, points) for label, points in json.loads(row["rubric"]))
        return Exam(row["title"], rubric, row["id"])

    # copies
    def add_copy(self, exam_id: int, student_id: int) -> int:
        self.exam(exam_id)
        self.student(student_id)
        try:
            with self.atomic():
                cur = self.conn.execute("INSERT INTO copy (exam_id, student_id) VALUES (?, ?)", (exam_id, student_id))
        except sqlite3.IntegrityError:
            raise ValidationError(f"copy: student {student_id} already has a copy of exam {exam_id}") from None
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _copy(self, copy_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute("SELECT * FROM copy WHERE id = ?", (copy_id,)).fetchone()
        if row is None:
            raise NotFound(f"copy {copy_id}")
        return row

    def lock(self, copy_id: int, grader: str) -> None:
        """Only one grader edits a copy at a time; locking twice by the same grader is fine."""
        with self.atomic():
            row = self._copy(copy_id)
            if row["locked_by"] not in (None, grader):
                raise LockConflict(f"copy {copy_id} is locked by {row['locked_by']}")
            self.conn.execute("UPDATE copy SET locked_by = ? WHERE id = ?", (grader, copy_id))

    def unlock(self, copy_id: int, grader: str) -> None:
        with self.atomic():
            row = self._copy(copy_id)
            if row["locked_by"] != grader:
                raise LockConflict(f"copy {copy_id} is not locked by {grader}")
            self.conn.execute("UPDATE copy SET locked_by = NULL WHERE id = ?", (copy_id,))

    def record_scores(self, copy_id: int, grader: str, scores: Mapping[str, float]) -> float:
        with self.atomic():
            row = self._copy(copy_id)
            if row["locked_by"] != grader:
                raise LockConflict(f"copy {copy_id}: lock it before grading")
            raw = grading.total(self.exam(row["exam_id"]), scores)
            self.conn.execute("UPDATE copy SET scores = ? WHERE id = ?", (json.dumps(dict(scores)), copy_id))
        return raw

    def results(self, exam_id: int) -> list[dict[str, object]]:
        """One row per graded copy: the student's name, raw total, mark out of 20 and letter."""
        exam = self.exam(exam_id)
        rows = self.conn.execute(
            "SELECT c.student_id, c.scores FROM copy c JOIN student s ON s.id = c.student_id "
            "WHERE c.exam_id = ? AND c.scores IS NOT NULL ORDER BY s.last_name, s.first_name",
            (exam_id,),
        ).fetchall()
        results: list[dict[str, object]] = []
        for row in rows:
            raw = grading.total(exam, json.loads(row["scores"]))
            mark = grading.out_of_20(raw, exam.max_score)
            name = self.student(row["student_id"]).full_name
            results.append({"student": name, "raw": raw, "mark": mark, "letter": grading.letter(mark)})
        return results
