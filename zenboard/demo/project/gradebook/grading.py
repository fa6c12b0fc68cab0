"""Scores: totals against a rubric, marks out of 20, letters, class statistics and ranks."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gradebook.models import Exam, ValidationError

LETTERS = ((16.0, "A"), (14.0, "B"), (12.0, "C"), (10.0, "D"))


def round_half(value: float) -> float:
    """Round to the nearest half point, halves up (14.25 -> 14.5), as graders do by hand."""
    doubled = Decimal(str(value)) * 2
    return float(doubled.quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2)


def total(exam: Exam, scores: Mapping[str, float]) -> float:
    """The copy's total; every score must belong to a question and stay within its points."""
    points = {q.label: q.points for q in exam.rubric}
    for label, score in scores.items():
        if label not in points:
            raise ValidationError(f"scores: {label!r} is not a question of {exam.title!r}")
        if not 0 <= score <= points[label] or math.isnan(score):
            raise ValidationError(f"scores: {label} = {score}, expected 0 to {points[label]}")
    return sum(scores.values())


def out_of_20(raw: float, max_score: float) -> float:
    if max_score <= 0:
        raise ValidationError("max_score: must be positive")
    return round_half(raw * 20 / max_score)


def letter(mark: float) -> str:
    for threshold, grade in LETTERS:
        if mark >= threshold:
            return grade
    return "F"


@dataclass(frozen=True)
class ClassStatistics:
    count: int
    mean: float
    median: float
    stdev: float
    lowest: float
    highest: float


def class_statistics(marks: Sequence[float]) -> ClassStatistics:
    if not marks:
        raise ValidationError("marks: no copy graded yet")
    stdev = statistics.pstdev(marks) if len(marks) > 1 else 0.0
    return ClassStatistics(
        count=len(marks),
        mean=round(statistics.fmean(marks), 2),
        median=statistics.median(marks),
        stdev=round(stdev, 2),
        lowest=min(marks),
        highest=max(marks),
    )


def rank(marks: Mapping[str, float]) -> list[tuple[int, str, float]]:
    """Competition ranking (1, 2, 2, 4): equal marks share a rank; names break ties in order only."""
    ordered = sorted(marks.items(), key=lambda item: (-item[1], item[0]))
    ranked: list[tuple[int, str, float]] = []
    for position, (name, mark) in enumerate(ordered, start=1):
        if ranked and ranked[-1][2] == mark:
            ranked.append((ranked[-1][0], name, mark))
        else:
            ranked.append((position, name, mark))
    return ranked
