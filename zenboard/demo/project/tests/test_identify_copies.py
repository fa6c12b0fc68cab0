"""Identifying who wrote each split copy from its header, end to end on real files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gradebook.documents import parse, render, split_batch
from gradebook.ocr import match_student, read_header

pytestmark = pytest.mark.processing

ROSTER = {"Dupont Marie": "10234", "Haddad Amir": "21345", "Müller Zoé": "54321", "Martin-Dubois Léa": "33333"}
OCR_OUTPUT = [
    "NOM : dupont  marie   N° 1O234\nQ1 ...",
    "Name: HADDAD Amir ID: 2l345\nQ1 ...",
    "NOM: muller zoe N° 99999\nQ1 ...",
    "~~ smudged header ~~\nQ1 ...",
]


def identify(copies_dir: Path) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for copy in sorted(copies_dir.glob("copy_*.zpdf")):
        header = read_header(parse(copy.read_bytes())[0].text)
        found[copy.name] = match_student(header, ROSTER) if header else None
    return found


@pytest.fixture
def split_copies(media: Path) -> Path:
    (media / "batch.zpdf").write_bytes(render([page for text in OCR_OUTPUT for page in (text, "Q2 ...")]))
    split_batch(media / "batch.zpdf", media / "copies", 2)
    return media / "copies"


def test_copies_are_matched_to_students(split_copies: Path) -> None:
    assert identify(split_copies) == {
        "copy_001.zpdf": "10234",
        "copy_002.zpdf": "21345",
        "copy_003.zpdf": "54321",
        "copy_004.zpdf": None,
    }


def test_unidentified_copies_go_to_manual_review(split_copies: Path) -> None:
    review = [name for name, number in identify(split_copies).items() if number is None]
    assert review == ["copy_004.zpdf"]


@pytest.mark.parametrize("copy_index", range(4))
def test_each_copy_keeps_its_second_page(split_copies: Path, copy_index: int) -> None:
    pages = parse((split_copies / f"copy_{copy_index + 1:03d}.zpdf").read_bytes())
    assert [p.text for p in pages][1] == "Q2 ...\n"


def test_demo_flaky_ocr_engine_sometimes_times_out(split_copies: Path) -> None:
    """demo: shows how zenboard displays a flaky test.

    It fails about one run in three (an unseeded random draw standing in for an OCR engine that
    sometimes times out), so consecutive runs disagree: the kind of test `zenboard verify` is
    there to catch.
    """
    engine_answered = random.random() >= 1 / 3
    assert engine_answered, "OCR engine timed out (simulated: this demo test fails about 1 run in 3)"
    assert identify(split_copies)["copy_001.zpdf"] == "10234"


@pytest.mark.slow
def test_a_whole_exam_session(media: Path) -> None:
    pages = []
    for i in range(60):
        pages += [f"NOM: Eleve{i:02d} Test N° {20000 + i}\nQ1 ...", "Q2 ...", "Q3 ..."]
    (media / "session.zpdf").write_bytes(render(pages))
    split_batch(media / "session.zpdf", media / "copies", 3)
    roster = {f"Eleve{i:02d} Test": str(20000 + i) for i in range(60)}
    numbers = []
    for copy in sorted((media / "copies").glob("copy_*.zpdf")):
        header = read_header(parse(copy.read_bytes())[0].text)
        assert header is not None
        numbers.append(match_student(header, roster))
    assert numbers == [str(20000 + i) for i in range(60)]
