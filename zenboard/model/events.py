"""The versioned event stream: what a suite run tells zenboard, as typed values.

The pytest plugin (and the Playwright reporter) write one JSON object per line with `"v": 1`
and a `"type"`; `decode` turns a line into one of the dataclasses below or raises
`MalformedEvent`, which the channel counts and skips. The engine adds events of its own
(`SuiteWaiting`, `SuiteLaunched`, `SuiteExited`, `OutputLine`, `StreamDamaged`) that never
cross a process boundary. Every event names its suite, so one reducer can fold all suites of a run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The wire format lives in zenboard.wire (cheap to import for the plugin); re-exported here.
from zenboard.model.claims import Claim, Conflict
from zenboard.wire import EVENT_VERSION as EVENT_VERSION
from zenboard.wire import encode as encode
from zenboard.wire import lost_phase

MAX_LINE_BYTES = 1 << 20
"""Longer lines are counted as oversized and skipped (the plugin bounds failure text well below)."""

OUTCOMES = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
"""pytest-json-report's outcome words, used everywhere zenboard counts results."""
FAILED_OUTCOMES = ("failed", "error")
"""The outcomes that fail a run: a failed call, or an error in setup or teardown."""


class MalformedEvent(ValueError):
    """A line that is not a valid event of a version zenboard understands."""


def decode_record(text: bytes, nodeid: str, outcome: str) -> dict[str, Any]:
    """A record kept as the JSON text it arrived in, decoded; one that is not a JSON object
    (a line damaged inside its record) reads as the bare record its event implies."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        value = None
    return value if isinstance(value, dict) else {"nodeid": nodeid, "outcome": outcome}


@dataclass(frozen=True, slots=True)
class RunStarted:
    suite: str
    workers_planned: int
    """0 when the suite runs without xdist."""
    rootdir: str = ""
    pid: int = 0


@dataclass(frozen=True, slots=True)
class WorkerReady:
    suite: str
    worker: str


@dataclass(frozen=True, slots=True)
class WorkerCollected:
    suite: str
    worker: str
    count: int


@dataclass(frozen=True, slots=True)
class TestsCollected:
    """Some of the run's collected node ids (a run sends them all, in lines of bounded size)."""

    suite: str
    nodeids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CollectFailed:
    """A collection error (an import error in a test module, say): the suite cannot complete."""

    suite: str
    nodeid: str
    longrepr: str


@dataclass(frozen=True, slots=True)
class TestStarted:
    suite: str
    nodeid: str
    worker: str
    pending: int | None = None
    """Tests queued on this worker including this one, where the scheduler tells."""
    time: float | None = None
    """When zenboard learnt the test started (wall clock, stamped by the engine's channel on
    arrival, never taken from the wire): the lanes' elapsed time and the SLOW mark count from it."""


@dataclass(frozen=True, slots=True)
class TestFinished:
    suite: str
    nodeid: str
    worker: str
    outcome: str
    duration: float
    record_data: dict[str, Any] | bytes = field(default_factory=dict, compare=False, repr=False)
    """The test's record in pytest-json-report's per-test shape (failure text may be cut), or
    the JSON text it arrived in, decoded when first read: read it as `record`."""
    attempts: int = 1
    """How many times the test ran (more than 1: it was retried; see `TestRetried`)."""
    time: float | None = None
    """When zenboard learnt the test ended (wall clock, stamped on arrival as `TestStarted`'s):
    with its start, the window a failure's service events are looked for in."""
    sent_lost: str | None = None
    """The phase its sender said the record lacks (the wire's `lost`); None: not said."""

    @property
    def record(self) -> dict[str, Any]:
        """The record, decoded on first read (see `decode_record`)."""
        data = self.record_data
        if isinstance(data, dict):
            return data
        return decode_record(data, self.nodeid, self.outcome)

    @property
    def lost(self) -> str:
        """The phase whose report the record lacks ("" when whole; `wire.lost_phase`): as its
        sender said, so a record kept as text need not be decoded for it; else read from it."""
        return self.sent_lost if self.sent_lost is not None else lost_phase(self.record)


@dataclass(frozen=True, slots=True)
class TestRetried:
    """An attempt of a test failed and the test runs again: not a result (its `TestFinished`
    comes once, after the last attempt). A test retried and then passed is flaky."""

    suite: str
    nodeid: str
    worker: str
    attempt: int
    """The number of the attempt that failed, from 1."""
    duration: float
    record: dict[str, Any] = field(default_factory=dict, compare=False)
    """The failed attempt's record (pytest-json-report's shape, outcome `failed`)."""


@dataclass(frozen=True, slots=True)
class WorkerDown:
    suite: str
    worker: str
    crashed: bool
    test: str | None = None
    """The test the worker was running when it went down, if any."""
    error: str = ""
    time: float | None = None
    """When zenboard learnt the worker went down (wall clock, stamped on arrival as
    `TestStarted`'s): a retried test can take down several workers, each at its own time."""


@dataclass(frozen=True, slots=True)
class WorkerReplaced:
    suite: str
    worker: str
    replacement: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    suite: str
    exitstatus: int
    duration: float


@dataclass(frozen=True, slots=True)
class SuiteLaunched:
    """Engine: the suite's process started."""

    suite: str
    command: tuple[str, ...]
    pid: int
    time: float
    nodeids: tuple[str, ...] = ()
    """Non-empty when the run is a rerun of these tests only."""
    allow_empty: bool = False
    """The suite may select no test (`allow_empty`, or a watch phase). A rerun of some tests
    (`nodeids`) may too; else a whole suite that collects nothing makes the run exit 5."""
    quarantine: tuple[str, ...] = ()
    """The project's quarantined test ids: their failures do not fail the suite."""
    start: str = ""
    """"warm" (forked from the suite's warm server), "cold start: <why>" (a rerun that could
    not be warm), or "" (a run that is never warm: a whole suite, xdist)."""


@dataclass(frozen=True, slots=True)
class SuiteWaiting:
    """Engine: the suite waits for what it `needs` before it starts (sent about once a second)."""

    suite: str
    waiting_for: str
    """What is not ready yet and why: `postgres: starting, port:BACKEND_PORT: refused`."""
    seconds: float
    """How long it has waited so far."""


@dataclass(frozen=True, slots=True)
class SuiteExited:
    """Engine: the suite's process ended (always the last event of a suite run)."""

    suite: str
    returncode: int
    time: float
    cancelled: bool = False
    error: str = ""
    """Why the suite could not run or complete, outside any test (a usage error, say)."""


@dataclass(frozen=True, slots=True)
class ResultsCorrected:
    """Engine: the suite's JSON report file disagrees with the stream; the file wins.

    Sent once at the end of a run, before `SuiteExited`, with one result per test whose
    outcome the stream got wrong or never carried (a forged, lost or skipped line).
    """

    suite: str
    results: tuple[TestFinished, ...]
    unreported: tuple[tuple[str, str, str], ...] = ()
    """(nodeid, worker, reason) of results the stream gave that the file has no whole record
    of (a forged or stray line): they become unreported errors."""

    @property
    def count(self) -> int:
        return len(self.results) + len(self.unreported)


@dataclass(frozen=True, slots=True)
class OutputLine:
    """Engine: one line of the suite process's own output, for the log panel."""

    suite: str
    text: str


@dataclass(frozen=True, slots=True)
class StreamDamaged:
    """Engine: lines of the event stream were skipped (malformed or oversized)."""

    suite: str
    malformed: int = 0
    oversized: int = 0
    sample: str = ""


@dataclass(frozen=True, slots=True)
class ClaimsRecorded:
    """Engine: what the workers of a suite run claimed, read from its run dir as it ended."""

    suite: str
    claims: tuple[Claim, ...]
    run_pid: int = 0
    """The suite run's process (claims of an earlier run of the suite are dropped)."""


@dataclass(frozen=True, slots=True)
class ClaimConflict:
    """Engine: a worker of this suite run and another holder used one resource at once."""

    suite: str
    conflict: Conflict
    run_pid: int = 0
    """The suite run's process (a conflict of an earlier run of the suite is dropped)."""


Event = (
    RunStarted
    | WorkerReady
    | WorkerCollected
    | TestsCollected
    | CollectFailed
    | TestStarted
    | TestFinished
    | TestRetried
    | WorkerDown
    | WorkerReplaced
    | RunFinished
    | SuiteLaunched
    | SuiteWaiting
    | SuiteExited
    | ResultsCorrected
    | OutputLine
    | StreamDamaged
    | ClaimsRecorded
    | ClaimConflict
)

_WIRE_TYPES: dict[str, type[Any]] = {
    "run_started": RunStarted,
    "worker_ready": WorkerReady,
    "worker_collected": WorkerCollected,
    "tests_collected": TestsCollected,
    "collect_failed": CollectFailed,
    "test_started": TestStarted,
    "test_finished": TestFinished,
    "test_retried": TestRetried,
    "worker_down": WorkerDown,
    "worker_replaced": WorkerReplaced,
    "run_finished": RunFinished,
}
_WIRE_FIELDS: dict[str, tuple[tuple[str, type | tuple[type, ...], bool], ...]] = {
    # (field, accepted json types, required)
    "run_started": (("workers_planned", int, True), ("rootdir", str, False), ("pid", int, False)),
    "worker_ready": (("worker", str, True),),
    "worker_collected": (("worker", str, True), ("count", int, True)),
    "tests_collected": (("nodeids", list, True),),
    "collect_failed": (("nodeid", str, True), ("longrepr", str, True)),
    "test_started": (
        ("nodeid", str, True),
        ("worker", str, True),
        ("pending", (int, type(None)), False),
    ),
    "test_finished": (
        ("nodeid", str, True),
        ("worker", str, True),
        ("outcome", str, True),
        ("duration", (int, float), True),
        ("attempts", int, False),
        ("lost", str, False),
        ("record", dict, False),
    ),
    "test_retried": (
        ("nodeid", str, True),
        ("worker", str, True),
        ("attempt", int, True),
        ("duration", (int, float), True),
        ("record", dict, False),
    ),
    "worker_down": (
        ("worker", str, True),
        ("crashed", bool, True),
        ("test", (str, type(None)), False),
        ("error", str, False),
    ),
    "worker_replaced": (("worker", str, True), ("replacement", str, True)),
    "run_finished": (("exitstatus", int, True), ("duration", (int, float), True)),
}


_RECORD_KEY = b', "record": {'
"""Where the plugin's test_finished line starts its record, the line's last field."""
_OUTCOME_WORDS = {word: word for word in OUTCOMES}
"""One string object per outcome word, shared by every result that has it."""


def decode(suite: str, line: bytes | str, now: float | None = None) -> Event:
    """Parse one wire line for `suite`; raise MalformedEvent for anything unexpected.

    `now` stamps a started or finished test with its arrival. A test_finished line whose record
    is its last field, as the plugin writes it, keeps the record as text (`decode_record`
    reads it when something asks): only the fields before it are decoded here.
    """
    if isinstance(line, str):  # one path for both: the same line gives the same event
        line = line.encode("utf-8", "surrogatepass")
    obj: Any = None
    record_text: bytes | None = None
    split = line.find(_RECORD_KEY)
    if split > 0 and line.endswith(b"}}"):
        # Closed by one brace, the head is JSON only if the split is at the top level.
        head = _scan(line[:split] + b"}")
        if isinstance(head, dict) and head.get("type") == "test_finished":
            obj, record_text = head, line[split + len(_RECORD_KEY) - 1 : -1]
    if obj is None:
        obj = _loads(line)
    version = obj.get("v")
    if type(version) is not int or version != EVENT_VERSION:
        raise MalformedEvent(f"unknown version {obj.get('v')!r}")
    kind = obj.get("type")
    if kind == "test_finished":
        return _test_finished(suite, obj, record_text, now)
    if kind == "test_started":
        return _test_started(suite, obj, now)
    if not isinstance(kind, str) or kind not in _WIRE_TYPES:
        raise MalformedEvent(f"unknown type {kind!r}")
    kwargs = _checked_fields(suite, kind, obj)
    if kind == "tests_collected":
        if not all(isinstance(n, str) for n in kwargs["nodeids"]):
            raise MalformedEvent("tests_collected.nodeids holds a non-string")
        kwargs["nodeids"] = tuple(kwargs["nodeids"])
    elif kind == "worker_down":
        kwargs["time"] = now
    return _WIRE_TYPES[kind](**kwargs)  # type: ignore[no-any-return]


_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The C scanner `json.loads` ends in, called directly: for a line of a hundred bytes the
wrapper (the encoding check, the whitespace regexes) costs as much as the parse."""


def _scan(text: bytes) -> Any:
    """`text` decoded as `json.loads` would, or None whenever this fast path is not sure (not
    UTF-8, whitespace around it, not JSON at all): then `json.loads` decides."""
    try:
        string = text.decode()
        value, end = _SCAN(string, 0)
    except (ValueError, StopIteration, RecursionError):
        return None
    return value if end == len(string) else None


def _loads(line: bytes) -> dict[str, Any]:
    obj = _scan(line)
    if isinstance(obj, dict):
        return obj
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: a short line nested thousands deep is valid JSON Python cannot read.
        raise MalformedEvent(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(obj, dict):
        raise MalformedEvent("not a JSON object")
    return obj


def _checked_fields(suite: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """`kind`'s fields of `obj` by the table, as keyword arguments; MalformedEvent naming the
    first that is missing or of the wrong type."""
    kwargs: dict[str, Any] = {"suite": suite}
    for name, types, required in _WIRE_FIELDS[kind]:
        if name not in obj:
            if required:
                raise MalformedEvent(f"{kind} without {name}")
            continue
        value = obj[name]
        accepted = types if isinstance(types, tuple) else (types,)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in accepted):
            raise MalformedEvent(f"{kind}.{name} has the wrong type")
        kwargs[name] = value
    return kwargs


# The two events of every test, read with the table's rules in a few comparisons each: JSON
# gives exact types (`type(x) is int` is False for a bool). A line they refuse goes through
# `_checked_fields`, which says why.


def _test_started(suite: str, obj: dict[str, Any], now: float | None) -> TestStarted:
    nodeid, worker, pending = obj.get("nodeid"), obj.get("worker"), obj.get("pending")
    if type(nodeid) is str and type(worker) is str and (pending is None or type(pending) is int):
        return TestStarted(suite, nodeid, sys.intern(worker), pending, now)
    _checked_fields(suite, "test_started", obj)
    raise MalformedEvent("test_started is malformed")  # pragma: no cover - the line above raises


def _test_finished(
    suite: str, obj: dict[str, Any], record_text: bytes | None, now: float | None
) -> TestFinished:
    nodeid, worker, outcome = obj.get("nodeid"), obj.get("worker"), obj.get("outcome")
    duration, attempts, lost = obj.get("duration"), obj.get("attempts", 1), obj.get("lost")
    record = obj.get("record", {}) if record_text is None else record_text
    if (
        type(nodeid) is str
        and type(worker) is str
        and type(outcome) is str
        and (type(duration) is float or type(duration) is int)
        and type(attempts) is int
        and (type(lost) is str or (lost is None and "lost" not in obj))
        and (record_text is not None or type(record) is dict)
    ):
        word = _OUTCOME_WORDS.get(outcome)
        if word is None:
            raise MalformedEvent(f"unknown outcome {outcome!r}")
        return TestFinished(
            suite, nodeid, sys.intern(worker), word, duration, record, attempts, now, lost
        )
    _checked_fields(suite, "test_finished", obj)
    raise MalformedEvent("test_finished is malformed")  # pragma: no cover - the line above raises
