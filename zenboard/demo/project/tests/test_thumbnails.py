"""Page images: real PGM files written and read back in this worker's media directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradebook.imaging import BadImage, Image, from_pgm, is_blank, load, save, synthetic_page, thumbnail, to_pgm

pytestmark = pytest.mark.processing


def test_pgm_round_trip(media: Path) -> None:
    page = synthetic_page(120, 170, lines=8)
    assert load(save(page, media / "page.pgm")) == page


def test_pgm_header_comments_are_skipped() -> None:
    data = b"P5\n# scanned by the copier\n2 1\n255\n\x00\xff"
    assert from_pgm(data) == Image(2, 1, b"\x00\xff")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"P2\n1 1\n255\n0", "binary PGM"), (b"P5\n1 1\n65535\n\x00\x00", "maxval"), (b"P5\n2 2", "truncated")],
    ids=["ascii-pgm", "16-bit", "truncated"],
)
def test_unsupported_images_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(BadImage, match=message):
        from_pgm(data)


def test_missing_pixels_are_refused() -> None:
    with pytest.raises(BadImage, match="2x2 image with 3 pixels"):
        from_pgm(b"P5\n2 2\n255\n\x00\x00\x00")


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [((200, 280), 64, (40, 56)), ((60, 40), 64, (60, 40)), ((300, 100), 100, (100, 33))],
)
def test_thumbnail_size(media: Path, size: tuple[int, int], max_side: int, expected: tuple[int, int]) -> None:
    thumb = thumbnail(synthetic_page(*size, lines=5), max_side)
    save(thumb, media / "thumb.pgm")
    assert (thumb.width, thumb.height) == expected
    assert load(media / "thumb.pgm") == thumb


def test_thumbnail_averages_pixels() -> None:
    image = Image(2, 2, bytes([0, 100, 200, 100]))
    assert thumbnail(image, 1).pixels == bytes([100])


def test_blank_page_detection(media: Path) -> None:
    save(synthetic_page(100, 140, lines=0), media / "blank.pgm")
    save(synthetic_page(100, 140, lines=6), media / "answer.pgm")
    assert is_blank(load(media / "blank.pgm"))
    assert not is_blank(load(media / "answer.pgm"))


def test_dust_is_not_ink() -> None:
    page = bytearray(synthetic_page(100, 100, lines=0).pixels)
    page[5050] = 0
    assert is_blank(Image(100, 100, bytes(page)))


@pytest.mark.slow
def test_thumbnails_for_a_whole_batch(media: Path) -> None:
    for index in range(12):
        thumb = thumbnail(synthetic_page(210, 297, lines=10, seed=index), 70)
        save(thumb, media / f"thumb_{index:02d}.pgm")
    assert len(list(media.glob("thumb_*.pgm"))) == 12
    assert to_pgm(load(media / "thumb_00.pgm")).startswith(b"P5\n42 59\n255\n")
