"""The event stream's wire format, as small as possible to import.

The pytest plugin is imported into every pytest process that has zenboard installed (workers
included, and runs zenboard never started): it must cost next to nothing, so it imports only
this module, never the model with its dataclasses.

It also holds the one rule for how long a text may be once it leaves the JSON report: the
stream, the terminal, `summary.json`, JUnit and the history all cut a record's texts with
`bounded_record`, so a failure with megabytes of text still appears everywhere, exactly once.
"""

from __future__ import annotations

import json
import re
from typing import Any

from zenboard.words import plural

EVENT_VERSION = 1

# The environment variables between zenboard and the processes it starts: one definition each.
ENV_EVENTS = "ZENBOARD_EVENTS"
"""The event pipe's descriptor, for the plugin in the pytest controller."""
ENV_SUITE = "ZENBOARD_SUITE"
"""The suite a process belongs to."""
ENV_RUN_DIR = "ZENBOARD_RUN_DIR"
"""A suite run's private dir (0700), made by zenboard and removed when the run ends (cancelled
too): the isolation helpers' per-run media dirs (`RUN_MEDIA`) and their claim files
(`RUN_CLAIMS`). Plain files: the event pipe is never handed to workers."""
RUN_MEDIA = "media"
"""The run dir's folder of per-run media dirs (`zenboard.isolation.media_dir()`)."""
RUN_CLAIMS = "claims"
"""The run dir's folder of claim files: `<pid>.jsonl`, one JSON object a line per resource a
process claimed (`{"kind", "value", "scope", "suite", "worker", "pid", "time"}`), read by the
engine (`scope`: where the resource could meet another, "" for this machine)."""
ENV_SELECT = "ZENBOARD_SELECT"
"""A file of node ids, one a line: the run keeps exactly these tests (a shard, a rerun)."""
ENV_RUN_FIRST = "ZENBOARD_RUN_FIRST"
"""Node ids the run_first plugin puts first (watch: the tests that failed last)."""
ENV_FILE_ORDER = "ZENBOARD_FILE_ORDER"
"""A JSON file of seconds per test file, for the order plugin (slowest files first)."""
ENV_E2E_PORTS = "ZENBOARD_E2E_PORTS"
"""Playwright suites: one port per parallel slot from the registry (`port0,port1,...`)."""
ENV_E2E_PORTS_ERROR = "ZENBOARD_E2E_PORTS_ERROR"
"""Playwright suites: why the registry gave no ports (the fixture says so; the OS picks)."""
ENV_PLAYWRIGHT_FIXTURES = "ZENBOARD_PLAYWRIGHT_FIXTURES"
"""Playwright suites: the path of zenboard's fixtures module (plugins/playwright/fixtures.cjs)."""
ENV_PYTHON = "ZENBOARD_PYTHON"
"""Playwright suites: the interpreter zenboard runs in, for fixtures that start a Python server."""
TIMED_OUT = "timed out"
"""How a test or a worker ended by zenboard's timeout is described: `timed out after 2s`."""
TIMEOUT_CONTROLLER = "zenboard-timeout-controller"
"""The timeout plugin's name on the xdist controller (the event plugin asks it about a worker
that went down)."""
ENV_REPEAT = "ZENBOARD_REPEAT"
"""How many times the repeat plugin runs each selected test (`zenboard run --repeat N`)."""
REPEAT_MARK = "@repeat"
"""What the repeat plugin appends to a test's name, before the repetition's number: each
repetition needs an id of its own (pytest and xdist key results by it)."""


def repeated_of(nodeid: str) -> str:
    """The test a repetition's id repeats: `t.py::test_a[x]@repeat2` (pytest 8) and
    `t.py::test_a@repeat2[x]` (pytest 9, which puts parameters last) -> `t.py::test_a[x]`."""
    return _REPEAT_ID.sub("", nodeid, count=1)


def repetition_number(nodeid: str) -> int | None:
    """Which repetition `nodeid` is (`t.py::test_a@repeat2` -> 2); None: not a repetition."""
    match = _REPEAT_ID.search(nodeid)
    return int(match.group()[len(REPEAT_MARK) :]) if match else None


_REPEAT_ID = re.compile(re.escape(REPEAT_MARK) + r"[0-9]+(?=\[[^\[]*\]$|$)")

TEXT_BOUND = 16_000
"""Longest text (longrepr, crash message, captured output...) kept outside the JSON report."""

LINE_BUDGET = 512 * 1024
"""Longest test_finished line the plugin writes: well below the reader's limit (1 MiB), so no
result depends on a line's size. A record still longer once its texts are cut (thousands of
keywords, a huge metadata dict) is sent in its essential shape (`essential_record`)."""

_ENCODER = json.JSONEncoder(default=str)
"""One encoder for every line: `json.dumps(..., default=str)` would build a new one per call,
which on the controller of a suite of thousands of tests is a measurable share of its work."""


def encode(kind: str, **fields: Any) -> bytes:
    """One wire line (with its newline) for an event of `kind`."""
    return (_ENCODER.encode({"v": EVENT_VERSION, "type": kind, **fields}) + "\n").encode()


def cut(text: str, bound: int = TEXT_BOUND) -> str:
    """`text` cut at `bound` characters, saying how much was left out."""
    if len(text) <= bound:
        return text
    more = plural(len(text) - bound, "more character", "more characters")
    return text[:bound] + f"\n... [{more} in the JSON report]"


def _cut_any(value: Any, bound: int) -> Any:
    """`value` with every long string inside it cut; the same object when nothing was cut."""
    if isinstance(value, str):
        return cut(value, bound) if len(value) > bound else value
    if isinstance(value, dict):
        changed = {k: _cut_any(v, bound) for k, v in value.items()}
        return value if all(changed[k] is value[k] for k in value) else changed
    if isinstance(value, list):
        items = [_cut_any(v, bound) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def bounded_record(record: dict[str, Any], bound: int = TEXT_BOUND) -> dict[str, Any]:
    """The record with every text in it (at any depth) cut at `bound`; shared when none is."""
    result = _cut_any(record, bound)
    return result if isinstance(result, dict) else record


def essential_record(record: dict[str, Any], bound: int = TEXT_BOUND) -> dict[str, Any]:
    """The record reduced to what a result needs: nodeid, outcome, and per phase its outcome,
    duration, crash and longrepr, texts cut. Its size depends only on `bound`."""
    out: dict[str, Any] = {
        "nodeid": str(record.get("nodeid", "")),
        "outcome": str(record.get("outcome", "failed"))[:20],
    }
    for phase in ("setup", "call", "teardown", "???"):
        stage = record.get(phase)
        if not isinstance(stage, dict):
            continue
        kept: dict[str, Any] = {"outcome": str(stage.get("outcome", ""))[:20]}
        duration = stage.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            kept["duration"] = duration
        crash = stage.get("crash")
        if isinstance(crash, dict):
            kept["crash"] = {
                "path": cut(str(crash.get("path", "")), 1000),
                "lineno": crash.get("lineno") if isinstance(crash.get("lineno"), int) else 0,
                "message": cut(str(crash.get("message", "")), bound),
            }
        if "longrepr" in stage:
            kept["longrepr"] = cut(str(stage.get("longrepr") or ""), bound)
        out[phase] = kept
    return out


RERUN = "rerun"
"""pytest-rerunfailures' word for a failed attempt that will run again: never an outcome."""
PHASES = ("setup", "call", "teardown", "???")


def final_attempt(record: dict[str, Any]) -> dict[str, Any]:
    """pytest-json-report's record of a retried test as its final attempt alone.

    The report keeps one record per test across attempts: its outcome stays `rerun` when the
    last attempt passed (a later non-passed outcome replaces it), and a phase the last attempt
    never reached keeps the earlier attempt's `rerun` stage. Those are dropped; the same record
    when nothing was retried.
    """
    stale = [
        p for p in PHASES if isinstance(record.get(p), dict) and record[p].get("outcome") == RERUN
    ]
    if record.get("outcome") != RERUN and not stale:
        return record
    final = {k: v for k, v in record.items() if k not in stale}
    if final.get("outcome") == RERUN:
        final["outcome"] = "passed"
    return final


def failed_attempt(record: dict[str, Any]) -> dict[str, Any]:
    """The record of an attempt that failed and was retried, in words every view knows: its
    `rerun` outcomes (the test's and its phases') said as `failed`."""
    out = dict(record)
    out["outcome"] = "failed"
    for phase in PHASES:
        stage = out.get(phase)
        if isinstance(stage, dict) and stage.get("outcome") == RERUN:
            out[phase] = {**stage, "outcome": "failed"}
    return out


def lost_phase(record: dict[str, Any]) -> str:
    """The phase whose report a pytest-json-report record lacks ("" when it is whole).

    pytest-json-report derives a test's outcome from the reports it saw: when xdist loses the
    call's report (a failure text execnet cannot send), the record says `passed` from its setup
    alone. A record is whole when it has its teardown (or xdist's crash phase `???`), and a call
    whenever its setup passed. Records of another shape (Playwright's) are taken as they are.
    The plugin sends it beside the record (`lost`), so zenboard can count a result without
    decoding its record.
    """
    setup = record.get("setup")
    if not isinstance(setup, dict) or isinstance(record.get("???"), dict):
        return ""
    if setup.get("outcome") == "passed" and not isinstance(record.get("call"), dict):
        return "call"
    if not isinstance(record.get("teardown"), dict):
        return "teardown"
    return ""


def record_duration(record: dict[str, Any]) -> float:
    """A pytest-json-report record's seconds: its setup, call and teardown added up, and the
    `???` stage of an xdist crash report (a timed-out test's time is there)."""
    total = 0.0
    for phase in ("setup", "call", "teardown", "???"):
        stage = record.get(phase)
        if isinstance(stage, dict):
            seconds = stage.get("duration")
            if isinstance(seconds, int | float) and not isinstance(seconds, bool):
                total += float(seconds)
    return total
