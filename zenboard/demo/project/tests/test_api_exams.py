"""Exams, copies and results through the API."""

from __future__ import annotations

from typing import Any

import pytest

from gradebook.api import Api

pytestmark = pytest.mark.api

RUBRIC = [["Q1", 4], ["Q2", 6], ["Q3", 10]]


def make_exam(api: Api, grader: str, rubric: list[list[Any]] = RUBRIC) -> int:
    response = api.handle("POST", "/exams", {"title": "Thermodynamics", "rubric": rubric}, grader)
    assert response.status == 201, response.data
    return int(response.data["id"])


def make_student(api: Api, grader: str, last: str, first: str) -> int:
    body = {"last_name": last, "first_name": first, "email": f"{first.lower()}@lycee.fr", "group": "TS-2"}
    return int(api.handle("POST", "/students", body, grader).data["id"])


def test_create_exam(api: Api, grader: str) -> None:
    exam_id = make_exam(api, grader)
    data = api.handle("GET", f"/exams/{exam_id}").data
    assert data == {"id": exam_id, "title": "Thermodynamics", "max_score": 20.0, "rubric": RUBRIC}


@pytest.mark.parametrize("rubric", [[], [["Q1", 2], ["Q1", 2]], [["Q1", 0.3]]], ids=["empty", "duplicate", "third"])
def test_invalid_rubric_is_400(api: Api, grader: str, rubric: list[list[Any]]) -> None:
    response = api.handle("POST", "/exams", {"title": "Optics", "rubric": rubric}, grader)
    assert response.status == 400
    assert response.data["error"].startswith("rubric")


def test_unknown_exam_is_404(api: Api) -> None:
    assert api.handle("GET", "/exams/42").status == 404


def test_one_copy_per_student_and_exam(api: Api, grader: str) -> None:
    exam_id, student_id = make_exam(api, grader), make_student(api, grader, "Dupont", "Marie")
    assert api.handle("POST", "/copies", {"exam": exam_id, "student": student_id}, grader).status == 201
    again = api.handle("POST", "/copies", {"exam": exam_id, "student": student_id}, grader)
    assert again.status == 400
    assert "already has a copy" in again.data["error"]


def test_copy_for_unknown_student_is_404(api: Api, grader: str) -> None:
    response = api.handle("POST", "/copies", {"exam": make_exam(api, grader), "student": 77}, grader)
    assert response.status == 404


def test_results_of_an_exam_without_grades(api: Api, grader: str) -> None:
    assert api.handle("GET", f"/exams/{make_exam(api, grader)}/results").data == {"results": [], "statistics": None}


@pytest.mark.slow
def test_results_and_statistics_of_a_graded_exam(api: Api, grader: str) -> None:
    exam_id = make_exam(api, grader)
    graded = {
        ("Dupont", "Marie"): {"Q1": 4, "Q2": 6, "Q3": 7},
        ("Haddad", "Amir"): {"Q1": 2, "Q2": 3, "Q3": 4.5},
        ("Müller", "Zoé"): {"Q1": 3, "Q2": 5, "Q3": 6},
    }
    for (last, first), scores in graded.items():
        copy_id = api.handle(
            "POST", "/copies", {"exam": exam_id, "student": make_student(api, grader, last, first)}, grader
        ).data["id"]
        api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
        assert api.handle("PUT", f"/copies/{copy_id}/scores", scores, grader).status == 200
    data = api.handle("GET", f"/exams/{exam_id}/results").data
    assert [(r["student"], r["mark"], r["letter"]) for r in data["results"]] == [
        ("DUPONT Marie", 17.0, "A"),
        ("HADDAD Amir", 9.5, "F"),
        ("MÜLLER Zoé", 14.0, "B"),
    ]
    assert data["statistics"]["median"] == 14.0
