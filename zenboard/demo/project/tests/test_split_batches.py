"""Splitting a scanned batch into one file per copy, in this worker's media directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from zenboard.isolation import worker_suffix

from gradebook.documents import CorruptDocument, parse, render, split_batch, verify

pytestmark = pytest.mark.processing


def write_batch(media: Path, copies: int, pages_per_copy: int) -> Path:
    pages = []
    for copy in range(copies):
        pages.append(f"NOM: Eleve{copy:02d} Test N° {10000 + copy}\nQ1 answer")
        pages += [f"copy {copy} page {page}" for page in range(2, pages_per_copy + 1)]
    batch = media / "batch.zpdf"
    batch.write_bytes(render(pages))
    return batch


def test_media_dir_is_this_workers(media: Path) -> None:
    """zenboard.isolation puts each worker's files in its own directory: media_processing_gw0, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER") or worker_suffix()
    assert media.parent.name.startswith("media_")
    assert media.parent.name.endswith(f"_{worker}")


@pytest.mark.parametrize(("copies", "pages_per_copy"), [(1, 1), (3, 2), (12, 4)])
def test_split_writes_one_file_per_copy(media: Path, copies: int, pages_per_copy: int) -> None:
    written = split_batch(write_batch(media, copies, pages_per_copy), media / "copies", pages_per_copy)
    assert [p.name for p in written] == [f"copy_{i:03d}.zpdf" for i in range(1, copies + 1)]
    assert all(len(parse(p.read_bytes())) == pages_per_copy for p in written)


def test_each_copy_starts_with_its_header(media: Path) -> None:
    written = split_batch(write_batch(media, 4, 3), media / "copies", 3)
    assert parse(written[2].read_bytes())[0].text.startswith("NOM: Eleve02 Test")


def test_manifest_has_a_checksum_per_copy(media: Path) -> None:
    split_batch(write_batch(media, 5, 2), media / "copies", 2)
    manifest = json.loads((media / "copies" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == [f"copy_{i:03d}.zpdf" for i in range(1, 6)]
    assert verify(media / "copies") == []


def test_verify_finds_a_tampered_copy(media: Path) -> None:
    split_batch(write_batch(media, 3, 2), media / "copies", 2)
    (media / "copies" / "copy_002.zpdf").write_bytes(render(["forged"]))
    (media / "copies" / "copy_003.zpdf").unlink()
    assert verify(media / "copies") == ["copy_002.zpdf", "copy_003.zpdf"]


def test_a_shifted_batch_is_refused(media: Path) -> None:
    batch = write_batch(media, 3, 2)
    with pytest.raises(CorruptDocument, match="6 pages is not a multiple of 4"):
        split_batch(batch, media / "copies", 4)
    assert not (media / "copies").exists()


def test_a_truncated_upload_is_refused(media: Path) -> None:
    batch = write_batch(media, 2, 2)
    batch.write_bytes(batch.read_bytes()[:-10])
    with pytest.raises(CorruptDocument, match="missing %%EOF"):
        split_batch(batch, media / "copies", 2)


def test_an_empty_batch_is_refused(media: Path) -> None:
    (media / "empty.zpdf").write_bytes(render([]))
    with pytest.raises(CorruptDocument, match="no pages"):
        split_batch(media / "empty.zpdf", media / "copies", 1)


@pytest.mark.slow
def test_split_a_full_day_of_scans(media: Path) -> None:
    batch = write_batch(media, 120, 4)
    written = split_batch(batch, media / "copies", 4)
    assert len(written) == 120
    assert sum(p.stat().st_size for p in written) > batch.stat().st_size * 0.9
