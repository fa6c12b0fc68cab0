"""The engine: runs suites as subprocesses and turns what they say into model events."""

from __future__ import annotations

from zenboard.engine.buffer import EventBuffer
from zenboard.engine.engine import Engine

__all__ = ["Engine", "EventBuffer"]
