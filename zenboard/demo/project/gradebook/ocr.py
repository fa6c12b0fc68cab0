"""Reading the student header printed on each copy's first page, as OCR returns it.

The real app runs Tesseract on the header box; what comes back is noisy text like
`NOM : dupont  marie   N° 1O234`. This module turns that into a name and a student number,
fixing the usual confusions (O for 0, l or I for 1) in the number only, never in names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

HEADER = re.compile(
    r"(?:NOM|NAME)\s*:\s*(?P<name>.+?)\s+(?:N°|NO|ID)\s*:?\s*(?P<number>[0-9OoIl|]{5,8})\s*$",
    re.IGNORECASE,
)
DIGIT_FIXES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})


@dataclass(frozen=True)
class Header:
    name: str
    number: str


def clean_name(raw: str) -> str:
    """Collapse spaces and title-case each part ("dupont  marie-claire" -> "Dupont Marie-Claire")."""
    parts = raw.split()
    return " ".join("-".join(p.capitalize() for p in part.split("-")) for part in parts)


def read_header(text: str) -> Header | None:
    """The header found on the first matching line, or None when OCR gave nothing usable."""
    for line in text.splitlines():
        match = HEADER.search(line.strip())
        if match:
            return Header(clean_name(match["name"]), match["number"].translate(DIGIT_FIXES))
    return None


def fold(name: str) -> str:
    """A name without accents, case or punctuation, for matching OCR output to the class list."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if c.isalnum() or c == " ")
    return " ".join(letters.lower().split())


def match_student(header: Header, roster: dict[str, str]) -> str | None:
    """The roster's number for this header: by number first, else by folded name if unique."""
    if header.number in roster.values():
        return header.number
    wanted = fold(header.name)
    found = [number for name, number in roster.items() if fold(name) == wanted]
    return found[0] if len(found) == 1 else None
