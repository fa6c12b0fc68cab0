"""Students through the API, on this worker's SQLite database."""

from __future__ import annotations

import pytest

from gradebook.api import Api

pytestmark = pytest.mark.api

MARIE = {"last_name": "Dupont", "first_name": "Marie", "email": "marie@lycee.fr", "group": "TS-2"}
AMIR = {"last_name": "Haddad", "first_name": "Amir", "email": "amir@lycee.fr", "group": "TS-1"}


def test_create_student(api: Api, grader: str) -> None:
    response = api.handle("POST", "/students", MARIE, grader)
    assert response.status == 201
    assert response.data["name"] == "DUPONT Marie"
    assert isinstance(response.data["id"], int)


def test_get_student(api: Api, grader: str) -> None:
    created = api.handle("POST", "/students", MARIE, grader).data
    assert api.handle("GET", f"/students/{created['id']}").data == created


def test_unknown_student_is_404(api: Api) -> None:
    response = api.handle("GET", "/students/999")
    assert response.status == 404
    assert response.data == {"error": "student 999 not found"}


def test_list_students_sorted_by_name(api: Api, grader: str) -> None:
    api.handle("POST", "/students", AMIR, grader)
    api.handle("POST", "/students", MARIE, grader)
    assert [s["name"] for s in api.handle("GET", "/students").data] == ["DUPONT Marie", "HADDAD Amir"]


@pytest.mark.parametrize(("group", "expected"), [("TS-1", ["HADDAD Amir"]), ("ts-2", ["DUPONT Marie"])])
def test_filter_students_by_group(api: Api, grader: str, group: str, expected: list[str]) -> None:
    api.handle("POST", "/students", AMIR, grader)
    api.handle("POST", "/students", MARIE, grader)
    assert [s["name"] for s in api.handle("GET", f"/students?group={group}").data] == expected


def test_database_starts_empty_for_each_test(api: Api) -> None:
    """Each test runs in a transaction rolled back afterwards, so other tests left nothing."""
    assert api.handle("GET", "/students").data == []


def test_duplicate_email_is_400(api: Api, grader: str) -> None:
    api.handle("POST", "/students", MARIE, grader)
    response = api.handle("POST", "/students", {**MARIE, "email": "MARIE@lycee.fr"}, grader)
    assert response.status == 400
    assert "already registered" in response.data["error"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "marie"), ("group", "terminale S 2"), ("last_name", "")],
    ids=["email", "group", "name"],
)
def test_invalid_student_is_400(api: Api, grader: str, field: str, value: str) -> None:
    response = api.handle("POST", "/students", {**MARIE, field: value}, grader)
    assert response.status == 400
    assert response.data["error"].startswith(field)


def test_missing_field_is_400(api: Api, grader: str) -> None:
    body = {k: v for k, v in MARIE.items() if k != "email"}
    assert api.handle("POST", "/students", body, grader).status == 400


def test_writes_need_a_grader(api: Api) -> None:
    assert api.handle("POST", "/students", MARIE).status == 401


def test_unknown_route_and_method(api: Api, grader: str) -> None:
    assert api.handle("GET", "/teachers").status == 404
    assert api.handle("DELETE", "/students", None, grader).status == 405
