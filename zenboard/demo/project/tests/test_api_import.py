"""Importing a class list through the API: all rows or none."""

from __future__ import annotations

import pytest

from gradebook.api import Api

pytestmark = pytest.mark.api

HEADER = "last_name,first_name,email,group\n"
CLASS_LIST = HEADER + "".join(f"Eleve{i:02d},Prenom{i:02d},eleve{i:02d}@lycee.fr,TS-{1 + i % 3}\n" for i in range(30))


@pytest.mark.slow
def test_import_a_whole_class(api: Api, grader: str) -> None:
    response = api.handle("POST", "/students/import", CLASS_LIST, grader)
    assert response.status == 201
    assert response.data == {"imported": 30}
    assert len(api.handle("GET", "/students?group=TS-2").data) == 10


def test_one_bad_row_imports_nothing(api: Api, grader: str) -> None:
    text = HEADER + "Dupont,Marie,marie@lycee.fr,TS-2\nHaddad,Amir,nope,TS-2\n"
    response = api.handle("POST", "/students/import", text, grader)
    assert response.status == 400
    assert response.data["errors"] == [{"line": 3, "message": "email: 'nope' is not an email address"}]
    assert api.handle("GET", "/students").data == []


def test_a_row_clashing_with_the_database_rolls_back_the_import(api: Api, grader: str) -> None:
    api.handle(
        "POST",
        "/students",
        {"last_name": "Old", "first_name": "Entry", "email": "eleve05@lycee.fr", "group": "TS-1"},
        grader,
    )
    response = api.handle("POST", "/students/import", CLASS_LIST, grader)
    assert response.status == 400
    assert "eleve05@lycee.fr" in response.data["error"]
    assert len(api.handle("GET", "/students").data) == 1


@pytest.mark.parametrize("name", ["Zoé", "Łukasz", "Aïssata"])
def test_import_keeps_accented_names(api: Api, grader: str, name: str) -> None:
    response = api.handle("POST", "/students/import", HEADER + f"Martin,{name},x@lycee.fr,1A\n", grader)
    assert response.status == 201
    assert api.handle("GET", "/students").data[0]["name"] == f"MARTIN {name}"


def test_import_with_semicolons(api: Api, grader: str) -> None:
    text = "last_name;first_name;email;group\nDupont;Marie;marie@lycee.fr;TS-2\n"
    assert api.handle("POST", "/students/import", text, grader).data == {"imported": 1}
