"""Locking a copy, grading it, and what another grader sees meanwhile."""

from __future__ import annotations

import pytest

from gradebook.api import Api

pytestmark = pytest.mark.api


@pytest.fixture
def copy_id(api: Api, grader: str) -> int:
    exam = api.handle("POST", "/exams", {"title": "Optics", "rubric": [["Q1", 8], ["Q2", 12]]}, grader).data["id"]
    body = {"last_name": "Dupont", "first_name": "Marie", "email": "marie@lycee.fr", "group": "TS-2"}
    student = api.handle("POST", "/students", body, grader).data["id"]
    return int(api.handle("POST", "/copies", {"exam": exam, "student": student}, grader).data["id"])


def test_lock_a_copy(api: Api, grader: str, copy_id: int) -> None:
    assert api.handle("POST", f"/copies/{copy_id}/lock", None, grader).data == {"copy": copy_id, "locked_by": grader}


def test_locking_twice_is_harmless(api: Api, grader: str, copy_id: int) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    assert api.handle("POST", f"/copies/{copy_id}/lock", None, grader).status == 200


def test_another_grader_cannot_take_the_lock(api: Api, grader: str, copy_id: int) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    response = api.handle("POST", f"/copies/{copy_id}/lock", None, "m.bernard")
    assert response.status == 409
    assert response.data["error"] == f"copy {copy_id} is locked by {grader}"


def test_unlock_frees_the_copy(api: Api, grader: str, copy_id: int) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    assert api.handle("DELETE", f"/copies/{copy_id}/lock", None, grader).status == 204
    assert api.handle("POST", f"/copies/{copy_id}/lock", None, "m.bernard").status == 200


def test_only_the_holder_unlocks(api: Api, grader: str, copy_id: int) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    assert api.handle("DELETE", f"/copies/{copy_id}/lock", None, "m.bernard").status == 409


def test_grading_needs_the_lock(api: Api, grader: str, copy_id: int) -> None:
    response = api.handle("PUT", f"/copies/{copy_id}/scores", {"Q1": 5}, grader)
    assert response.status == 409
    assert "lock it before grading" in response.data["error"]


@pytest.mark.parametrize(("scores", "raw"), [({"Q1": 8, "Q2": 12}, 20.0), ({"Q1": 2.5}, 2.5), ({}, 0)])
def test_record_scores(api: Api, grader: str, copy_id: int, scores: dict[str, float], raw: float) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    assert api.handle("PUT", f"/copies/{copy_id}/scores", scores, grader).data == {"copy": copy_id, "raw": raw}


@pytest.mark.parametrize(
    "scores", [{"Q1": 9}, {"Q3": 1}, {"Q1": "lots"}], ids=["too-many-points", "no-such-question", "not-a-number"]
)
def test_bad_scores_are_400_and_change_nothing(api: Api, grader: str, copy_id: int, scores: dict[str, object]) -> None:
    api.handle("POST", f"/copies/{copy_id}/lock", None, grader)
    api.handle("PUT", f"/copies/{copy_id}/scores", {"Q1": 1}, grader)
    response = api.handle("PUT", f"/copies/{copy_id}/scores", scores, grader)
    assert response.status == 400
    assert api.handle("GET", "/exams/1/results").data["results"][0]["raw"] == 1


def test_unknown_copy_is_404(api: Api, grader: str) -> None:
    assert api.handle("POST", "/copies/123/lock", None, grader).status == 404
