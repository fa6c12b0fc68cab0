"""A small JSON API over the store, shaped like the REST views of the real app.

`Api.handle(method, path, body, grader)` returns a `Response(status, data)`; tests call it the
way Django REST framework's APIClient is called, without a socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from gradebook import grading
from gradebook.csv_import import parse_students
from gradebook.models import Exam, Question, Student, ValidationError
from gradebook.store import LockConflict, NotFound, Store


@dataclass(frozen=True)
class Response:
    status: int
    data: Any = field(default=None)


Handler = Callable[..., Response]


class Api:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/students"), self.list_students),
            ("POST", re.compile(r"/students"), self.create_student),
            ("POST", re.compile(r"/students/import"), self.import_students),
            ("GET", re.compile(r"/students/(\d+)"), self.get_student),
            ("POST", re.compile(r"/exams"), self.create_exam),
            ("GET", re.compile(r"/exams/(\d+)"), self.get_exam),
            ("GET", re.compile(r"/exams/(\d+)/results"), self.exam_results),
            ("POST", re.compile(r"/copies"), self.create_copy),
            ("POST", re.compile(r"/copies/(\d+)/lock"), self.lock_copy),
            ("DELETE", re.compile(r"/copies/(\d+)/lock"), self.unlock_copy),
            ("PUT", re.compile(r"/copies/(\d+)/scores"), self.put_scores),
        ]

    def handle(
        self, method: str, path: str, body: Any = None, grader: str | None = None, query: dict[str, str] | None = None
    ) -> Response:
        path, _, query_string = path.partition("?")
        query = {**dict(parse_qsl(query_string)), **(query or {})}
        matched_path = False
        for route_method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            matched_path = True
            if route_method != method:
                continue
            if method != "GET" and grader is None:
                return Response(401, {"error": "authentication required"})
            try:
                return handler(*(int(g) for g in match.groups()), body=body, grader=grader, query=query)
            except ValidationError as exc:
                return Response(400, {"error": str(exc)})
            except NotFound as exc:
                return Response(404, {"error": f"{exc} not found"})
            except LockConflict as exc:
                return Response(409, {"error": str(exc)})
            except (KeyError, TypeError) as exc:
                return Response(400, {"error": f"malformed body: {exc}"})
        return Response(405 if matched_path else 404, {"error": f"{method} {path}"})

    @staticmethod
    def _student(s: Student) -> dict[str, Any]:
        return {"id": s.id, "name": s.full_name, "email": s.email, "group": s.group}

    def list_students(self, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        return Response(200, [self._student(s) for s in self.store.students(query.get("group"))])

    def create_student(self, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        student = Student(body["last_name"], body["first_name"], body["email"], body["group"])
        return Response(201, self._student(self.store.add_student(student)))

    def import_students(self, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        """All or nothing: one bad line and nothing is imported, so a fixed file can be re-sent."""
        result = parse_students(body)
        if not result.ok:
            return Response(400, {"errors": [{"line": e.line, "message": e.message} for e in result.errors]})
        with self.store.atomic():
            created = [self.store.add_student(s) for s in result.students]
        return Response(201, {"imported": len(created)})

    def get_student(self, student_id: int, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        return Response(200, self._student(self.store.student(student_id)))

    def create_exam(self, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        rubric = tuple(Question(str(label), float(points)) for label, points in body["rubric"])
        exam = self.store.add_exam(Exam(body["title"], rubric))
        return Response(201, {"id": exam.id, "title": exam.title, "max_score": exam.max_score})

    def get_exam(self, exam_id: int, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        exam = self.store.exam(exam_id)
        return Response(
            200,
            {
                "id": exam.id,
                "title": exam.title,
                "max_score": exam.max_score,
                "rubric": [[q.label, q.points] for q in exam.rubric],
            },
        )

    def exam_results(self, exam_id: int, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        results = self.store.results(exam_id)
        marks = [float(r["mark"]) for r in results]  # type: ignore[arg-type]
        stats = grading.class_statistics(marks).__dict__ if marks else None
        return Response(200, {"results": results, "statistics": stats})

    def create_copy(self, body: Any, grader: str | None, query: dict[str, str]) -> Response:
        return Response(201, {"id": self.store.add_copy(int(body["exam"]), int(body["student"]))})

    def lock_copy(self, copy_id: int, body: Any, grader: str, query: dict[str, str]) -> Response:
        self.store.lock(copy_id, grader)
        return Response(200, {"copy": copy_id, "locked_by": grader})

    def unlock_copy(self, copy_id: int, body: Any, grader: str, query: dict[str, str]) -> Response:
        self.store.unlock(copy_id, grader)
        return Response(204)

    def put_scores(self, copy_id: int, body: Any, grader: str, query: dict[str, str]) -> Response:
        raw = self.store.record_scores(copy_id, grader, {str(k): _number(k, v) for k, v in body.items()})
        return Response(200, {"copy": copy_id, "raw": raw})


def _number(field: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"scores: {field} = {value!r} is not a number") from None
