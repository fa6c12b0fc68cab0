"""JSON text for the files zenboard writes at the end of every run, through the C encoder.

Those files are indented, a test per line, so that they diff well; `json.dumps(indent=...)`
would send them to the pure-Python encoder, and a `json.dumps` call per line costs a few
microseconds of set-up each. Strings and numbers written with these helpers are byte for byte
what `json.dumps` writes for them (ASCII, numbers by their repr).
"""

from __future__ import annotations

import json
import math

string = json.encoder.encode_basestring_ascii
"""A str as a JSON string, exactly as json.dumps (ensure_ascii) writes it."""


def number(value: float) -> str:
    """A number as json writes it (its repr; NaN and the infinities as json spells them)."""
    return repr(value) if math.isfinite(value) else json.dumps(value)
