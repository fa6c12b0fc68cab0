"""The event stream's wire format, as small as possible to import.

The pytest plugin is imported into every pytest process that has zenboard installed (workers
included, and runs zenboard never started): it must cost next to nothing, so it imports only
this module, never the model with its dataclasses.
"""

from __future__ import annotations

import json
from typing import Any

EVENT_VERSION = 1

_ENCODER = json.JSONEncoder(default=str)
"""One encoder for every line: `json.dumps(..., default=str)` would build a new one per call,
which on the controller of a suite of thousands of tests is a measurable share of its work."""


def encode(kind: str, **fields: Any) -> bytes:
    """One wire line (with its newline) for an event of `kind`."""
    return (_ENCODER.encode({"v": EVENT_VERSION, "type": kind, **fields}) + "\n").encode()
