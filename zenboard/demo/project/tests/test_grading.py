"""Grading rules: rounding, totals, marks out of 20, letters, statistics and ranks."""

from __future__ import annotations

import math

import pytest

from gradebook import grading
from gradebook.models import Exam, Question, ValidationError

pytestmark = pytest.mark.unit

EXAM = Exam("Thermodynamics", (Question("Q1", 4), Question("Q2", 6), Question("Q3", 10)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(14.0, 14.0), (14.2, 14.0), (14.25, 14.5), (14.74, 14.5), (14.75, 15.0), (19.9, 20.0)],
)
def test_round_half(value: float, expected: float) -> None:
    assert grading.round_half(value) == expected


def test_total_adds_the_scores() -> None:
    assert grading.total(EXAM, {"Q1": 3, "Q2": 4.5, "Q3": 10}) == 17.5


def test_total_of_a_partly_graded_copy() -> None:
    assert grading.total(EXAM, {"Q2": 2}) == 2


@pytest.mark.parametrize("scores", [{"Q1": 5}, {"Q2": -1}, {"Q3": math.nan}], ids=["above", "negative", "nan"])
def test_total_refuses_scores_out_of_range(scores: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="scores: Q"):
        grading.total(EXAM, scores)


def test_total_refuses_unknown_questions() -> None:
    with pytest.raises(ValidationError, match="'Q9' is not a question"):
        grading.total(EXAM, {"Q9": 1})


@pytest.mark.parametrize(("raw", "max_score", "expected"), [(17.5, 20, 17.5), (7, 12, 11.5), (0, 40, 0.0)])
def test_out_of_20(raw: float, max_score: float, expected: float) -> None:
    assert grading.out_of_20(raw, max_score) == expected


def test_out_of_20_needs_a_positive_maximum() -> None:
    with pytest.raises(ValidationError):
        grading.out_of_20(5, 0)


@pytest.mark.parametrize(("mark", "expected"), [(16, "A"), (15.5, "B"), (12, "C"), (10, "D"), (9.5, "F")])
def test_letter(mark: float, expected: str) -> None:
    assert grading.letter(mark) == expected


def test_class_statistics() -> None:
    stats = grading.class_statistics([8, 12, 12, 16])
    assert (stats.count, stats.mean, stats.median, stats.lowest, stats.highest) == (4, 12.0, 12.0, 8, 16)
    assert stats.stdev == 2.83


def test_statistics_of_one_copy_have_no_spread() -> None:
    assert grading.class_statistics([13.5]).stdev == 0.0


def test_statistics_need_a_graded_copy() -> None:
    with pytest.raises(ValidationError, match="no copy graded"):
        grading.class_statistics([])


def test_rank_shares_places_between_equal_marks() -> None:
    ranked = grading.rank({"Zoé": 14, "Amir": 17, "Lena": 14, "Bo": 9})
    assert ranked == [(1, "Amir", 17), (2, "Lena", 14), (2, "Zoé", 14), (4, "Bo", 9)]


def test_rank_of_an_empty_class() -> None:
    assert grading.rank({}) == []


def test_demo_always_fails_to_show_a_failure() -> None:
    """demo: shows how zenboard displays a failure.

    This test fails on purpose, every run: the expected mark is wrong (7/12 rounds to 11.5, not
    12.0). Look for it in the suite's card, the worker that ran it, and the failure panel.
    """
    assert grading.out_of_20(7, 12) == 12.0
