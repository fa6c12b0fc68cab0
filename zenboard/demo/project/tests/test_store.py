"""The store against this worker's database file: transactions and constraints."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from zenboard.isolation import worker_suffix

from gradebook.models import Exam, Question, Student
from gradebook.store import Store

pytestmark = pytest.mark.api


def test_the_database_file_is_this_workers(database_path: Path) -> None:
    """zenboard.isolation names the file after the suite and worker: test_demo_integration_gw0.sqlite3..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER") or worker_suffix()
    assert database_path.name.startswith("test_demo_")
    assert database_path.name.endswith(f"_{worker}.sqlite3")
    assert database_path.is_file()


def add_then_crash(store: Store, student: Student) -> None:
    """A request that writes, then fails before it finishes."""
    with store.atomic():
        store.add_student(student)
        raise RuntimeError("crash in the middle of a request")


def test_a_failed_atomic_block_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError, match="crash"):
        add_then_crash(store, Student("Dupont", "Marie", "marie@lycee.fr", "TS-2"))
    assert store.students() == []


def test_nested_atomic_blocks(store: Store) -> None:
    with store.atomic():
        store.add_student(Student("Dupont", "Marie", "marie@lycee.fr", "TS-2"))
        with pytest.raises(RuntimeError, match="crash"):
            add_then_crash(store, Student("Haddad", "Amir", "amir@lycee.fr", "TS-2"))
    assert [s.last_name for s in store.students()] == ["Dupont"]


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO copy (exam_id, student_id) VALUES (1, 1)")


def test_exam_rubric_round_trips(store: Store) -> None:
    exam = store.add_exam(Exam("Optics", (Question("1a", 2.5), Question("1b", 3))))
    assert exam.id is not None
    assert store.exam(exam.id).rubric == (Question("1a", 2.5), Question("1b", 3))


@pytest.mark.parametrize("count", [1, 50])
def test_many_students(store: Store, count: int) -> None:
    for i in range(count):
        store.add_student(Student(f"Eleve{i:03d}", "Test", f"eleve{i}@lycee.fr", "TS-1"))
    assert len(store.students("TS-1")) == count
