"""The scanned-batch document format, parsed and rendered in memory."""

from __future__ import annotations

import pytest

from gradebook.documents import CorruptDocument, Page, parse, render

pytestmark = pytest.mark.unit


def test_render_then_parse_round_trips() -> None:
    pages = ["NOM: Dupont Marie N° 12345\nQ1 ...", "", "Q2 ...\n"]
    assert [p.text for p in parse(render(pages))] == ["NOM: Dupont Marie N° 12345\nQ1 ...\n", "", "Q2 ...\n"]


def test_an_empty_document_has_no_pages() -> None:
    assert parse(render([])) == []


def test_blank_pages_are_detected() -> None:
    assert [p.blank for p in parse(render(["answer", "  \n", ""]))] == [False, True, True]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n", "header"),
        (b"%ZPDF-1\n%%Page 1\nhello\n", "missing %%EOF"),
        (b"%ZPDF-1\nstray\n%%Page 1\n%%EOF\n", "before the first page"),
        (b"%ZPDF-1\n%%Page 1\n%%Page 3\n%%EOF\n", "marker says 3"),
        (b"%ZPDF-1\n%%Page one\n%%EOF\n", "bad page marker"),
        (b"%ZPDF-1\n%%Page 1\n\xff\xfe\n%%EOF\n", "not UTF-8"),
    ],
    ids=["not-zpdf", "truncated", "stray-content", "skipped-page", "bad-marker", "binary-text"],
)
def test_corrupt_documents_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(CorruptDocument, match=message):
        parse(data)


def test_page_numbers_start_at_one() -> None:
    assert parse(render(["a", "b"]))[1] == Page(2, "b\n")
