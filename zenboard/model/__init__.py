"""The pure model: events in, state out. No Textual, no I/O, no threads."""

from __future__ import annotations

from zenboard.model.events import Event
from zenboard.model.state import RunState, SuiteState, SuiteStatus, TestResult, WorkerState

__all__ = ["Event", "RunState", "SuiteState", "SuiteStatus", "TestResult", "WorkerState"]
