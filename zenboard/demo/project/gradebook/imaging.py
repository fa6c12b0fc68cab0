"""Page images: binary PGM (P5) read/write, thumbnails and blank-page detection.

Scans arrive as grey images; the real app uses OpenCV. PGM keeps the demo dependency-free while
the tests still read and write real image files a viewer can open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BadImage(ValueError):
    pass


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: bytes

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1 or len(self.pixels) != self.width * self.height:
            raise BadImage(f"{self.width}x{self.height} image with {len(self.pixels)} pixels")

    def at(self, x: int, y: int) -> int:
        return self.pixels[y * self.width + x]


def to_pgm(image: Image) -> bytes:
    return f"P5\n{image.width} {image.height}\n255\n".encode() + image.pixels


def from_pgm(data: bytes) -> Image:
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:
        while position < len(data) and data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        start = position
        while position < len(data) and not data[position : position + 1].isspace():
            position += 1
        if start == position:
            raise BadImage("truncated header")
        fields.append(data[start:position])
    if fields[0] != b"P5":
        raise BadImage(f"not a binary PGM (magic {fields[0][:4]!r})")
    width, height, maxval = (int(f) for f in fields[1:])
    if maxval != 255:
        raise BadImage(f"maxval {maxval}: only 8-bit images are supported")
    return Image(width, height, data[position + 1 : position + 1 + width * height])


def save(image: Image, path: Path) -> Path:
    path.write_bytes(to_pgm(image))
    return path


def load(path: Path) -> Image:
    return from_pgm(path.read_bytes())


def thumbnail(image: Image, max_side: int) -> Image:
    """Box-filter downscale so the longer side is at most `max_side` (never upscales)."""
    factor = max(1, -(-max(image.width, image.height) // max_side))
    width, height = max(1, image.width // factor), max(1, image.height // factor)
    out = bytearray(width * height)
    for ty in range(height):
        for tx in range(width):
            total = 0
            for y in range(ty * factor, ty * factor + factor):
                row = y * image.width
                total += sum(image.pixels[row + tx * factor : row + tx * factor + factor])
            out[ty * width + tx] = total // (factor * factor)
    return Image(width, height, bytes(out))


def ink_ratio(image: Image, threshold: int = 128) -> float:
    return sum(1 for p in image.pixels if p < threshold) / len(image.pixels)


def is_blank(image: Image, tolerance: float = 0.002) -> bool:
    """A scanned page counts as blank when almost no pixel is dark (dust is not ink)."""
    return ink_ratio(image) <= tolerance


def synthetic_page(width: int, height: int, lines: int, seed: int = 0) -> Image:
    """A white page with `lines` dark text-like bars: stands in for a scanned answer sheet."""
    pixels = bytearray([250]) * (width * height)
    for line in range(lines):
        y = (line + 1) * height // (lines + 1)
        length = width * (5 + (seed + line * 7) % 4) // 10
        for x in range(width // 10, width // 10 + length):
            pixels[y * width + x] = 20
    return Image(width, height, bytes(pixels))
