"""Scanned exam batches: a tiny page-based document format, and splitting a batch into copies.

The real app receives one PDF per batch of scanned copies and splits it with PyMuPDF. The demo's
format keeps the shape of that work (a header, pages, an end marker, per-page bytes) in plain
bytes, so processing tests read and write real files without a PDF library:

    %ZPDF-1
    %%Page 1
    ...page text...
    %%EOF
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"%ZPDF-1\n"
PAGE = b"%%Page "
END = b"%%EOF\n"


class CorruptDocument(ValueError):
    """The bytes are not a complete document; the message says what is wrong and where."""


@dataclass(frozen=True)
class Page:
    number: int
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def render(pages: list[str]) -> bytes:
    out = [MAGIC]
    for number, text in enumerate(pages, start=1):
        out.append(PAGE + str(number).encode() + b"\n")
        out.append(text.encode("utf-8") + (b"" if text.endswith("\n") or not text else b"\n"))
    out.append(END)
    return b"".join(out)


def parse(data: bytes) -> list[Page]:
    if not data.startswith(MAGIC):
        raise CorruptDocument("header: not a ZPDF document")
    if not data.endswith(END):
        raise CorruptDocument("end: missing %%EOF (truncated upload?)")
    numbers: list[int] = []
    texts: list[list[bytes]] = []
    for line in data[len(MAGIC) : -len(END)].splitlines(keepends=True):
        if line.startswith(PAGE):
            try:
                number = int(line[len(PAGE) :])
            except ValueError:
                raise CorruptDocument(f"page {len(numbers) + 1}: bad page marker {line[:20]!r}") from None
            if number != len(numbers) + 1:
                raise CorruptDocument(f"page {len(numbers) + 1}: marker says {number}")
            numbers.append(number)
            texts.append([])
        elif not texts:
            raise CorruptDocument("page 1: content before the first page marker")
        else:
            texts[-1].append(line)
    pages: list[Page] = []
    for number, lines in zip(numbers, texts, strict=True):
        try:
            pages.append(Page(number, b"".join(lines).decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise CorruptDocument(f"page {number}: not UTF-8 text at byte {exc.start}") from None
    return pages


def split_batch(batch: Path, out_dir: Path, pages_per_copy: int) -> list[Path]:
    """Write one document per copy (`copy_001.zpdf`, ...) and a `manifest.json` with checksums.

    Blank pages at the end of a copy (the back of a sheet) are kept: graders want the copy as
    scanned. A batch whose page count is not a multiple of `pages_per_copy` is refused, because
    every later copy would be shifted onto the wrong student.
    """
    if pages_per_copy < 1:
        raise ValueError("pages_per_copy must be at least 1")
    pages = parse(batch.read_bytes())
    if not pages:
        raise CorruptDocument(f"{batch.name}: no pages")
    if len(pages) % pages_per_copy:
        raise CorruptDocument(f"{batch.name}: {len(pages)} pages is not a multiple of {pages_per_copy}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    manifest: dict[str, str] = {}
    for index in range(0, len(pages), pages_per_copy):
        copy = out_dir / f"copy_{index // pages_per_copy + 1:03d}.zpdf"
        data = render([p.text for p in pages[index : index + pages_per_copy]])
        copy.write_bytes(data)
        manifest[copy.name] = hashlib.sha256(data).hexdigest()
        written.append(copy)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return written


def verify(out_dir: Path) -> list[str]:
    """Names of split copies whose bytes no longer match the manifest (empty when all is well)."""
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for name, digest in manifest.items():
        path = out_dir / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad
