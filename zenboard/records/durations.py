"""`.zenboard/durations.json`: how long each test took in the last full run of its suite.

A plain file rather than the history database on purpose: shard plans must be the same on
every CI machine, and a small JSON file is what a CI cache or a commit carries between
machines. Shape: `{"version": 1, "suites": {suite: {nodeid: seconds}}}`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from zenboard import safefs
from zenboard.errors import InputError
from zenboard.model.state import RunState, SuiteStatus
from zenboard.records import jsontext

DURATIONS_FILE = Path(".zenboard/durations.json")
VERSION = 1

Durations = dict[str, dict[str, float]]
"""suite -> nodeid -> seconds."""


def load(root: Path) -> Durations:
    """The project's durations, or {} when there is no file yet (plans then count tests)."""
    path = root / DURATIONS_FILE
    if not path.exists():
        return {}
    if not path.is_file():  # a directory is not "no durations yet"
        raise _unusable(path, "not a file")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise _unusable(path, f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise _unusable(path, "not UTF-8 text") from None
    except ValueError as exc:
        raise _unusable(path, f"not JSON: {exc}") from None
    except RecursionError:  # valid JSON nested deeper than Python reads
        raise _unusable(path, "not JSON zenboard can read: nested too deeply") from None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(data, dict) and (type(version) is not int or version != VERSION):
        why = f"version {version!r}: this zenboard reads version {VERSION}"
        raise OtherVersion(str(_unusable(path, f"{why} (a newer zenboard's? use that one)")))
    suites = data.get("suites") if isinstance(data, dict) else None
    if not isinstance(suites, dict) or not all(
        isinstance(tests, dict) and all(_seconds(v) for v in tests.values())
        for tests in suites.values()
    ):
        raise _unusable(path, "expected {suite: {nodeid: seconds}} with finite seconds >= 0")
    return {name: {n: float(v) for n, v in tests.items()} for name, tests in suites.items()}


def _seconds(value: object) -> bool:
    """A duration as zenboard writes it: a finite number of seconds, not negative, not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


class OtherVersion(InputError):
    """A durations file of another version: refused, and never rewritten as this one's."""


def _unusable(path: Path, why: str) -> InputError:
    return InputError(
        f"{path}: {why}; run `zenboard durations --update` or delete it "
        "(shards then split by test count)"
    )


def save(root: Path, durations: Durations) -> Path:
    """Write the file whole (a temp file renamed over it), never through a symlink."""
    path = root / DURATIONS_FILE
    data = {
        "version": VERSION,
        "suites": {s: dict(sorted(t.items())) for s, t in sorted(durations.items())},
    }
    safefs.write_atomic(path, _dumps(data) + "\n", root=root)
    return path


def _dumps(data: dict[str, Any]) -> str:
    """`json.dumps(data, indent=1)` for this file's shape, a test per line, diff-friendly.

    `indent` sends json.dumps to its pure-Python encoder, a measurable pause at the end of
    every run of thousands of tests; keys and numbers here go through the C encoder instead.
    """
    encode, number = jsontext.string, jsontext.number
    blocks = []
    for name, tests in data["suites"].items():
        body = ",\n".join(f"   {encode(nodeid)}: {number(s)}" for nodeid, s in tests.items())
        blocks.append(f"  {encode(name)}: " + (f"{{\n{body}\n  }}" if tests else "{}"))
    suites = "{\n" + ",\n".join(blocks) + "\n }" if blocks else "{}"
    return f'{{\n "version": {json.dumps(data["version"])},\n "suites": {suites}\n}}'


def from_state(state: RunState, full_suites: Iterable[str]) -> Durations:
    """Durations of the suites that ran completely (passed or failed, not cut short)."""
    result: Durations = {}
    for name in full_suites:
        suite = state.suites.get(name)
        if suite is None or suite.status not in (SuiteStatus.PASSED, SuiteStatus.FAILED):
            continue
        result[name] = {t.nodeid: round(t.duration, 6) for t in suite.tests.values()}
    return result


def update(root: Path, fresh: Durations) -> Path | None:
    """Replace the suites in `fresh`, keep the others; None when there was nothing to write."""
    if not fresh:
        return None
    merged = load_or_empty(root)
    merged.update(fresh)
    return save(root, merged)


def load_or_empty(root: Path) -> Durations:
    """The durations, or {} when the file is damaged (rewritten whole then); OtherVersion when
    it is another zenboard's, which this one must not overwrite."""
    try:
        return load(root)
    except OtherVersion:
        raise
    except InputError:
        return {}


def from_summary(report_dir: Path) -> Durations:
    """Durations of the completed suites in a report dir's summary.json (a merged one, say),
    checked as `merge` checks its inputs: it is usually other CI jobs' work."""
    from zenboard.records.merge import read_summary

    path = report_dir / "summary.json"
    found: Durations = {}
    for i, suite in enumerate(read_summary(path)["suites"]):
        if suite["status"] not in ("passed", "failed"):
            continue
        for j, row in enumerate(suite["tests"]):
            if not _seconds(row["duration"]):
                where = f"suites[{i}] ({suite['name']}).tests[{j}].duration"
                got = row["duration"]
                raise InputError(f"{path}: {where}: expected seconds >= 0, got {got!r}")
        found[suite["name"]] = {t["nodeid"]: round(float(t["duration"]), 6) for t in suite["tests"]}
    return found
