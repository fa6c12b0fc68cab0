"""Join the reports of CI shards (`zenboard run --shard K/N`) into one report dir.

Each shard's dir holds `summary.json` and per suite `<suite>.json` (pytest-json-report) and
`<suite>.xml` (JUnit). The merged dir has the same files, as if one machine had run everything.
Reports that cannot belong together are refused (exit 2, one line): reports of different
commits (one shard tested other code than the rest) or a test reported by two shards (the same
dir given twice, or shards of different plans).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from zenboard import safefs
from zenboard.config import MAX_SUITE_NAME, RESERVED_SUITE_NAMES, SUITE_NAME_CHARS
from zenboard.errors import MISSING as _MISSING
from zenboard.errors import InputError
from zenboard.errors import refuse as _bad
from zenboard.errors import show as _show
from zenboard.model.events import FAILED_OUTCOMES as FAILING
from zenboard.model.events import OUTCOMES
from zenboard.model.quarantine import is_quarantined
from zenboard.records import html_report
from zenboard.records.merged_isolation import check_isolation, merge_isolation
from zenboard.records.playwright_merge import (
    check_playwright_report,
    is_playwright_report,
    merge_playwright_reports,
)
from zenboard.records.reports import SUMMARY_VERSION, _atomic_write, summary_text

STATUS_RANK = ("error", "failed", "cancelled", "passed", "no tests", "idle")
"""Worst first: a merged suite has the worst status any shard gave it ("idle": none yet)."""
FINISHED = STATUS_RANK[:-1]
"""The statuses a summary holds: a suite in summary.json has run and ended (running: refused)."""
GREEN = ("passed", "no tests")
"""Outcomes of a failed test: a suite with such a row is not green."""
RUN_EXIT_CODES = (0, 1, 5)
"""A run's exit code in summary.json (`RunState.exit_code`): passed, failed, no tests."""
PROCESS_EXIT = range(-64, 256)
"""A suite's process exit code: 0 to 255, or minus the signal that killed it."""

MAX_DEPTH = 100
"""Deeper JSON than any report has: refused, so that writing it back cannot hit recursion."""
STREAM_KEYS = ("malformed", "oversized", "duplicates", "corrected")
OPTIONAL_COUNTS = ("flaky", "quarantined_failed")
"""Counts a summary may add beside pytest's (older summaries lack them)."""


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _depth_within(value: Any, limit: int) -> bool:
    """Whether `value` nests at most `limit` lists/objects deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return False
            stack += [(v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return True


def _read_json(path: Path) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: not usable: JSON nested too deeply") from None
    if not _depth_within(data, MAX_DEPTH):
        raise InputError(f"{path}: not usable: JSON nested more than {MAX_DEPTH} deep")
    return data


def _optional(
    path: Path,
    obj: dict[str, Any],
    key: str,
    where: str,
    expected: str,
    ok: Callable[[Any], bool],
    null: bool = False,
) -> None:
    """`obj[key]`, if present, must pass `ok` (or be null where `null`)."""
    if key in obj:
        _need(path, obj, key, where, expected, ok, null)


def _count(value: object) -> bool:
    return _is_int(value) and value >= 0  # type: ignore[operator]


def check_suite_name(path: Path, where: str, name: object) -> str:
    """A suite name usable as a file name in the report dir, by the config's rules."""
    if not isinstance(name, str):
        _bad(path, where, "a suite name (string)", name)
    problem = ""
    if not name:
        problem = "is empty"
    elif not set(name) <= SUITE_NAME_CHARS:
        problem = "has characters other than letters, digits, '.', '_' or '-'"
    elif len(name) > MAX_SUITE_NAME:
        problem = f"is longer than {MAX_SUITE_NAME} characters"
    elif name.startswith("."):
        problem = "starts with '.'"
    elif name.lower() in RESERVED_SUITE_NAMES:
        problem = "is the name of a report file"
    if problem:
        raise InputError(f"{path}: {where}: bad suite name {_show(name)}: it {problem}")
    return name


def read_summary(path: Path) -> dict[str, Any]:
    """A summary.json read and checked as merge checks its inputs: another job's file, trusted
    for nothing (one line naming the file and what is wrong, exit 2)."""
    return check_summary(path, _read_json(path))


def check_summary(path: Path, data: Any) -> dict[str, Any]:
    """`data` read from `path` is a summary.json merge can use; else one line and exit 2.

    Every field merge reads is checked for its type and allowed values, and each suite against
    itself as `reports.suite_summary` writes it: counts are the tally of its rows, a green
    status has no failed row, no test without an outcome and a row for every test collected.
    """
    if not isinstance(data, dict):
        _bad(path, "top level", "an object (a zenboard summary)", data)
    version = data.get("version", _MISSING)
    if not (_is_int(version) and version == SUMMARY_VERSION):
        _bad(path, "version", f"{SUMMARY_VERSION} (a summary this zenboard can read)", version)
    for key in ("commit", "shard", "plan"):
        _optional(path, data, key, "", "a string or null", _is_str, True)
    exit_code = data.get("exit_code", _MISSING)
    if not (_is_int(exit_code) and exit_code in RUN_EXIT_CODES):
        _bad(path, "exit_code", "0, 1 or 5 (a run's exit code)", exit_code)
    suites = data.get("suites", _MISSING)
    if not isinstance(suites, list):
        _bad(path, "suites", "a list of suites", suites)
    names: set[str] = set()
    for i, suite in enumerate(suites):
        if not isinstance(suite, dict):
            _bad(path, f"suites[{i}]", "an object (a suite)", suite)
        name = check_suite_name(path, f"suites[{i}].name", suite.get("name", _MISSING))
        if name in names:
            raise InputError(f"{path}: suites[{i}].name: suite {name} is listed twice")
        names.add(name)
        check_suite(path, i, suite, name)
    red = next((i for i, s in enumerate(suites) if s["status"] not in GREEN), None)
    if red is not None and exit_code != 1:
        status = suites[red]["status"]
        _bad(path, "exit_code", f"1 (suites[{red}] ({suites[red]['name']}) is {status})", exit_code)
    if red is None and exit_code == 1:
        _bad(path, "exit_code", "0 or 5 (no suite failed)", exit_code)
    if exit_code == 5 and not any(s["status"] == "no tests" for s in suites):
        _bad(path, "exit_code", "0 or 1 (no suite is 'no tests')", exit_code)
    check_isolation(path, data)
    return data


def _need(
    path: Path,
    obj: dict[str, Any],
    key: str,
    where: str,
    expected: str,
    ok: Callable[[Any], bool],
    null: bool = False,
) -> Any:
    """`obj[key]`, which must be there and pass `ok` (or be null where `null`)."""
    value = obj.get(key, _MISSING)
    if value is _MISSING or not ((null and value is None) or ok(value)):
        _bad(path, f"{where}{key}", expected, value)
    return value


def _is_dict(value: object) -> bool:
    return isinstance(value, dict)


def _check_counts(
    path: Path,
    where: str,
    table: dict[str, Any],
    keys: Sequence[str],
    optional: Sequence[str] = (),
) -> None:
    """A table of counts: every one of `keys` a count, `optional` ones too, and no other key."""
    for key in keys:
        _need(path, table, key, f"{where}.", "a count", _count)
    for key in optional:
        _optional(path, table, key, f"{where}.", "a count", _count)
    extra = next((k for k in table if k not in (*keys, *optional)), None)
    if extra is not None:
        _bad(path, where, f"no key but {', '.join(keys)}", extra)


def _ids(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(n, str) for n in value)


def check_suite(path: Path, i: int, suite: dict[str, Any], name: str) -> None:
    """Suite `i` of a summary (its name checked): its fields, and their agreement.

    Args:
        path: The summary file, for error messages.
        i: The suite's index in the summary's `suites`.
        suite: The suite's entry as read.
        name: The suite's name, already checked.
    """
    at = f"suites[{i}] ({name})."
    statuses = ", ".join(repr(s) for s in FINISHED)
    status = _need(
        path, suite, "status", at, f"one of {statuses} (a finished suite)", lambda v: v in FINISHED
    )
    exit_code = _need(
        path,
        suite,
        "exit_code",
        at,
        "a process exit code (a whole number from -64 to 255)",
        lambda v: _is_int(v) and v in PROCESS_EXIT,
    )
    _need(path, suite, "duration", at, "a number of seconds", _is_number)
    collected = _need(path, suite, "collected", at, "a count or null", _count, null=True)
    for key, keys in (("counts", (*OUTCOMES, "not_run")), ("stream", STREAM_KEYS)):
        optional = OPTIONAL_COUNTS if key == "counts" else ()
        table = _need(path, suite, key, at, "an object", _is_dict)
        _check_counts(path, f"{at}{key}", table, keys, optional)
    counts = suite["counts"]
    unreported = _need(path, suite, "unreported", at, "a count", _count)
    not_run = _need(path, suite, "not_run", at, "a list of test ids", _ids)
    interrupted = _need(path, suite, "interrupted", at, "a list of test ids", _ids)
    workers = _need(path, suite, "workers", at, "an object", _is_dict)
    crashed = [w for w, row in workers.items() if _check_worker(path, f"{at}workers", w, row)]
    errors = _need(path, suite, "errors", at, "a list", lambda v: isinstance(v, list))
    for j, error in enumerate(errors):
        where = f"{at}errors[{j}]"
        if not isinstance(error, dict):
            _bad(path, where, "an object (a collection or suite error)", error)
        for key in ("nodeid", "longrepr"):
            _need(path, error, key, f"{where}.", "a string", _is_str)
    rows = _need(path, suite, "tests", at, "a list of tests", lambda v: isinstance(v, list))
    for j, row in enumerate(rows):
        _check_row(path, f"{at}tests[{j}]", row)

    # What suite_summary writes holds together; a summary that does not was altered.
    for outcome in OUTCOMES:
        tally = sum(1 for row in rows if row["outcome"] == outcome)
        if counts[outcome] != tally:
            expected = f"{tally} (the tests rows whose outcome is {outcome!r})"
            _bad(path, f"{at}counts.{outcome}", expected, counts[outcome])
    flaky = sum(1 for row in rows if row.get("flaky") is True)
    if counts.get("flaky", 0) != flaky:
        _bad(path, f"{at}counts.flaky", f"{flaky} (the tests rows marked flaky)", counts["flaky"])
    if counts["not_run"] != len(not_run):
        _bad(
            path, f"{at}counts.not_run", f"{len(not_run)} (the tests in not_run)", counts["not_run"]
        )
    flagged = [j for j, row in enumerate(rows) if row.get("unreported") is True]
    for j in flagged:
        if rows[j]["outcome"] != "error":
            expected = "'error' (a test without a result counts as an error)"
            _bad(path, f"{at}tests[{j}].outcome", expected, rows[j]["outcome"])
    if unreported != len(flagged):
        _bad(path, f"{at}unreported", f"{len(flagged)} (the rows marked unreported)", unreported)
    if interrupted and status != "cancelled":
        expected = "'cancelled' (interrupted lists tests running when a run was cancelled)"
        _bad(path, f"{at}status", expected, status)
    quarantined_failed = sum(1 for row in rows if excused(row))
    if counts.get("quarantined_failed", quarantined_failed) != quarantined_failed:
        expected = f"{quarantined_failed} (the failed rows marked quarantined)"
        _bad(path, f"{at}counts.quarantined_failed", expected, counts["quarantined_failed"])
    failing = next((j for j, row in enumerate(rows) if _failing(row)), None)
    if status == "failed" and failing is None and not crashed and not not_run:
        expected = "not 'failed' (no row failed, no worker crashed, every test has an outcome)"
        _bad(path, f"{at}status", expected, status)
    quarantined = {row["nodeid"] for row in rows if excused(row)}
    if status in GREEN:
        crashed = [w for w in crashed if workers[w].get("crashed_test") not in quarantined]
        _check_green(path, at, suite, failing, crashed)
        covered = sum(_repetitions(row) for row in rows)  # a stress run's row covers its N
        if collected is not None and collected > covered:
            expected = f"at most {covered} (a {status} suite has a row for each test collected)"
            _bad(path, f"{at}collected", expected, collected)
        if status == "passed" and exit_code != 0 and not (exit_code == 1 and quarantined):
            _bad(path, f"{at}exit_code", "0 (the suite's status is 'passed')", exit_code)
        if status == "no tests" and exit_code not in (0, 5):
            _bad(path, f"{at}exit_code", "0 or 5 (the suite's status is 'no tests')", exit_code)


def _repetitions(row: dict[str, Any]) -> int:
    """How many collected tests a row stands for: a stress run's row, its repetitions."""
    value = row.get("repetitions", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1


def _check_green(
    path: Path, at: str, suite: dict[str, Any], failing: int | None, crashed: list[str]
) -> None:
    """A passed or no-tests suite: nothing in it failed, and it has a row if it passed."""
    status, rows = suite["status"], suite["tests"]
    why = ""
    if failing is not None:
        why = f"tests[{failing}] is {rows[failing]['outcome']}"
    elif suite["not_run"]:
        why = "not_run lists tests that never ran"
    elif crashed:
        why = f"worker {_show(crashed[0])} crashed"
    elif suite["errors"]:
        why = "errors says why it could not complete"
    if why:
        _bad(path, f"{at}status", f"'failed' or 'error' ({why})", status)
    if status == "passed" and not rows:
        _bad(path, f"{at}status", "'no tests' (the suite has no tests rows)", status)
    if status == "no tests" and rows:
        _bad(
            path, f"{at}status", f"'passed' or worse (the suite has {len(rows)} tests rows)", status
        )


WORKER_FIELDS: dict[str, tuple[str, Callable[[Any], bool], bool]] = {
    "done": ("a count", _count, False),
    "passed": ("a count", _count, False),
    "failed": ("a count", _count, False),
    "restarts": ("a count", _count, False),
    "crashed_test": ("a test id or null", _is_str, True),
    "replaced_by": ("a worker id or null", _is_str, True),
    "replaces": ("a worker id or null", _is_str, True),
    "crashed_at": ("a time (seconds since the epoch)", _is_number, False),
}


def _check_worker(path: Path, where: str, worker: str, row: Any) -> bool:
    """A worker's row of a suite; whether that worker crashed."""
    at = f"{where}[{_show(worker)}]"
    if not isinstance(row, dict):
        _bad(path, at, "an object (a worker)", row)
    crashed = _need(path, row, "crashed", f"{at}.", "true or false", lambda v: isinstance(v, bool))
    for key, (expected, ok, null) in WORKER_FIELDS.items():
        _optional(path, row, key, f"{at}.", expected, ok, null)
    if "counts" in row:
        _check_counts(
            path,
            f"{at}.counts",
            _need(path, row, "counts", f"{at}.", "an object", _is_dict),
            OUTCOMES,
        )
    return bool(crashed)


def _check_row(path: Path, where: str, row: Any) -> None:
    """One test row of a suite: its id, outcome, worker and seconds."""
    if not isinstance(row, dict):
        _bad(path, where, "an object (a test)", row)
    _need(path, row, "nodeid", f"{where}.", "a test id (string)", _is_str)
    outcomes = ", ".join(repr(o) for o in OUTCOMES)
    _need(path, row, "outcome", f"{where}.", f"one of {outcomes}", lambda v: v in OUTCOMES)
    _need(path, row, "worker", f"{where}.", "a worker id (string)", _is_str)
    _need(path, row, "duration", f"{where}.", "a number of seconds", _is_number)
    _optional(path, row, "start", f"{where}.", "a time (seconds since the epoch)", _is_number)
    _optional(path, row, "unreported", f"{where}.", "true or false", lambda v: isinstance(v, bool))
    _optional(path, row, "reason", f"{where}.", "a string", _is_str)
    _optional(path, row, "flaky", f"{where}.", "true or false", lambda v: isinstance(v, bool))
    _optional(path, row, "attempts", f"{where}.", "a count of runs (1 or more)", _attempts)
    if row.get("flaky") is True and (row["outcome"] != "passed" or row.get("attempts", 1) < 2):
        _bad(path, f"{where}.flaky", "true only on a passed row of 2 or more attempts", True)
    _optional(path, row, "quarantined", f"{where}.", "true", lambda v: v is True)


def _attempts(value: object) -> bool:
    return _is_int(value) and isinstance(value, int) and value >= 1


def excused(row: dict[str, Any]) -> bool:
    """A failed row of a quarantined test: reported, and failing nothing."""
    return row.get("quarantined") is True and row["outcome"] in FAILING


def _failing(row: dict[str, Any]) -> bool:
    """A failed row that fails its run (not quarantined)."""
    return row["outcome"] in FAILING and row.get("quarantined") is not True


def check_quarantine(
    summaries: Sequence[tuple[Path, dict[str, Any]]], quarantine: Mapping[str, str]
) -> None:
    """Refuse a row marked quarantined that the project's table does not cover."""
    for path, data in summaries:
        for i, suite in enumerate(data["suites"]):
            for j, row in enumerate(suite["tests"]):
                if row.get("quarantined") is True and not is_quarantined(row["nodeid"], quarantine):
                    where = f"suites[{i}] ({suite['name']}).tests[{j}].quarantined"
                    _bad(path, where, "true only for a test of [tool.zenboard.quarantine]", True)


def load_summaries(dirs: Sequence[Path]) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for folder in dirs:
        path = folder / "summary.json"
        if not path.is_file():
            raise InputError(f"{folder}: no summary.json (expected a zenboard report dir)")
        found.append((folder, check_summary(path, _read_json(path))))
    return found


def check_compatible(summaries: Sequence[tuple[Path, dict[str, Any]]]) -> None:
    """Refuse reports of different commits, or a test that two reports both ran."""
    first_dir, first = summaries[0]
    for folder, data in summaries[1:]:
        if data.get("commit") != first.get("commit"):
            raise InputError(
                f"merge: {first_dir} is commit {first.get('commit') or '(none)'} but {folder} is "
                f"{data.get('commit') or '(none)'}: shards must test the same commit"
            )
    check_shards(summaries)
    seen: dict[tuple[str, str], Path] = {}
    for folder, data in summaries:
        for suite in data["suites"]:
            for test in suite.get("tests", []):
                key = (suite["name"], test["nodeid"])
                if key in seen:
                    raise InputError(
                        f"merge: [{key[0]}] {key[1]} is in both {seen[key]} and {folder}"
                    )
                seen[key] = folder


def check_shards(summaries: Sequence[tuple[Path, dict[str, Any]]]) -> None:
    """Shards merge only as a whole split of one plan: every K of N once, the same plan.

    A missing shard (a CI job that uploaded nothing) or shards planned from different test
    lists or durations files would leave tests in no shard, and the merge would look green.
    """
    shards = [(folder, data.get("shard")) for folder, data in summaries]
    if all(shard is None for _, shard in shards):
        return
    parts: dict[int, Path] = {}
    total: int | None = None
    for folder, shard in shards:
        match = re.fullmatch(r"(\d+)/(\d+)", shard) if isinstance(shard, str) else None
        if match is None:
            raise InputError(f"merge: {folder} is not a shard run (its summary.json has no shard)")
        k, n = int(match.group(1)), int(match.group(2))
        if total is not None and n != total:
            raise InputError(f"merge: {folder} is shard {k}/{n} but others are of {total}")
        total = n
        if k in parts:
            raise InputError(f"merge: shard {k}/{n} is both {parts[k]} and {folder}")
        parts[k] = folder
    assert total is not None
    missing = [f"{k}/{total}" for k in range(1, total + 1) if k not in parts]
    if missing:
        raise InputError(
            f"merge: shard {', '.join(missing)} missing: every shard of the split is needed, "
            "or tests that ran nowhere would look green"
        )
    plans = {(data.get("plan") or ""): folder for folder, data in summaries}
    if len(plans) > 1:
        (plan_a, dir_a), (plan_b, dir_b) = list(plans.items())[:2]
        raise InputError(
            f"merge: {dir_a} and {dir_b} were planned from different tests or durations "
            f"(plan {plan_a or '(none)'} vs {plan_b or '(none)'}): some tests may be in no shard"
        )


def merge_summaries(summaries: Sequence[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """The merged summary of summaries that passed `check_summary`.

    The exit code is the merged run's, worked out from the suites' rows and statuses (which
    `check_summary` found to agree); no input's exit code is copied into it.
    """
    suites: dict[str, dict[str, Any]] = {}
    for index, (_folder, data) in enumerate(summaries, start=1):
        label = str(data.get("shard") or index).replace("/", "of")
        for suite in data["suites"]:
            merged = suites.setdefault(
                suite["name"],
                {
                    "name": suite["name"],
                    "status": "idle",
                    "exit_code": 0,
                    "duration": 0.0,
                    "collected": 0,
                    "counts": dict.fromkeys((*OUTCOMES, "not_run", *OPTIONAL_COUNTS), 0),
                    "unreported": 0,
                    "not_run": [],
                    "interrupted": [],
                    "workers": {},
                    "tests": [],
                    "errors": [],
                    "stream": dict.fromkeys(STREAM_KEYS, 0),
                },
            )
            if STATUS_RANK.index(suite["status"]) < STATUS_RANK.index(merged["status"]):
                # The worst shard's status, with its exit code: a passed suite exits 0.
                merged["status"] = suite["status"]
                merged["exit_code"] = suite["exit_code"]
            merged["duration"] = max(merged["duration"], float(suite["duration"]))
            merged["collected"] += suite["collected"] or 0
            for outcome in merged["counts"]:
                merged["counts"][outcome] += suite["counts"].get(outcome, 0)
            merged["unreported"] += suite["unreported"]
            for key in ("not_run", "interrupted"):
                merged[key] += suite[key]
            for worker, row in suite["workers"].items():
                merged["workers"][f"shard{label}-{worker}"] = row
            merged["tests"] += suite["tests"]
            merged["errors"] += suite["errors"]
            for key in merged["stream"]:
                merged["stream"][key] += suite["stream"][key]
    for merged in suites.values():
        if merged["status"] in GREEN and any(_failing(t) for t in merged["tests"]):
            merged["status"] = "failed"  # never so after check_summary: a last guard
    return {
        "version": SUMMARY_VERSION,
        "exit_code": merged_exit_code(list(suites.values())),
        "commit": summaries[0][1].get("commit"),
        "shard": None,
        "merged_from": [str(folder) for folder, _ in summaries],
        "isolation": merge_isolation(summaries),
        "suites": list(suites.values()),
    }


def merged_exit_code(suites: Sequence[dict[str, Any]]) -> int:
    """1 if any suite failed or has a test that failed (unless quarantined) or has no outcome;
    5 if every suite had no tests; else 0 (as `RunState.exit_code`)."""
    red = any(s["status"] not in GREEN for s in suites)
    failing = any(_failing(t) for s in suites for t in s["tests"])
    incomplete = any(s["not_run"] or s["interrupted"] for s in suites)
    if red or failing or incomplete:
        return 1
    if suites and all(s["status"] == "no tests" for s in suites):
        return 5
    return 0


def check_json_report(path: Path, data: Any) -> dict[str, Any]:
    """`data` read from `path` is a pytest-json-report merge can use; else one line, exit 2."""
    if not isinstance(data, dict):
        _bad(path, "top level", "an object (a pytest-json-report)", data)
    for key in ("created", "duration"):
        _optional(path, data, key, "", "a number", _is_number)
    _optional(path, data, "exitcode", "", "a whole number", _is_int)
    _optional(path, data, "warnings", "", "a list", lambda v: isinstance(v, list))
    _optional(path, data, "summary", "", "an object", lambda v: isinstance(v, dict))
    _optional(path, data.get("summary", {}), "collected", "summary.", "a count", _count)
    for key, expected in (("tests", "a list of tests"), ("collectors", "a list of collectors")):
        _optional(path, data, key, "", expected, lambda v: isinstance(v, list))
        for i, row in enumerate(data.get(key, [])):
            if not isinstance(row, dict):
                _bad(path, f"{key}[{i}]", "an object", row)
            _optional(path, row, "nodeid", f"{key}[{i}].", "a test id (string)", _is_str)
            if key == "tests" and not isinstance(row.get("outcome", _MISSING), str):
                _bad(path, f"{key}[{i}].outcome", "a string", row.get("outcome", _MISSING))
    return data


def merge_json_reports(paths: Sequence[Path], data: Sequence[Any] | None = None) -> dict[str, Any]:
    """pytest-json-report files of one suite's shards as one report (`data`: as read)."""
    loaded = data if data is not None else [_read_json(p) for p in paths]
    reports = [check_json_report(p, d) for p, d in zip(paths, loaded, strict=True)]
    tests = [t for r in reports for t in r.get("tests", [])]
    collectors: dict[str, Any] = {}
    for r in reports:
        for c in r.get("collectors", []):
            collectors.setdefault(c.get("nodeid", ""), c)
    summary: dict[str, Any] = {}
    for t in tests:
        summary[t["outcome"]] = summary.get(t["outcome"], 0) + 1
    summary["total"] = len(tests)
    summary["collected"] = sum(r.get("summary", {}).get("collected", 0) for r in reports)
    first = reports[0]
    return {
        **first,
        "created": min(float(r.get("created", 0)) for r in reports),
        "duration": max(float(r.get("duration", 0)) for r in reports),
        "exitcode": max(r.get("exitcode", 0) for r in reports),
        "summary": summary,
        "collectors": list(collectors.values()),
        "tests": tests,
        "warnings": [w for r in reports for w in r.get("warnings", [])],
    }


def merge_suite_reports(paths: Sequence[Path]) -> dict[str, Any]:
    """One suite's `<suite>.json` of every shard as one: pytest-json-report's or Playwright's
    (a suite's shards are of one kind; a mix is refused)."""
    read = [(path, _read_json(path)) for path in paths]
    kinds = {is_playwright_report(data) for _, data in read}
    if len(kinds) > 1:
        playwright = next(p for p, data in read if is_playwright_report(data))
        pytest = next(p for p, data in read if not is_playwright_report(data))
        raise InputError(
            f"merge: {playwright} is a Playwright JSON report but {pytest} is not: "
            "a suite's shards must be of one kind"
        )
    if kinds == {True}:
        return merge_playwright_reports([check_playwright_report(p, d) for p, d in read])
    return merge_json_reports(paths, [data for _, data in read])


def read_junit(path: Path) -> list[ET.Element]:
    """The test cases of a JUnit XML file; a file that is not one is one line and exit 2."""
    try:
        root = ET.parse(path).getroot()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise InputError(f"{path}: not a readable JUnit XML file ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        _bad(path, "root element", "<testsuites> or <testsuite> (JUnit XML)", root.tag)
    cases = list(root.iter("testcase"))
    for i, case in enumerate(cases):
        time = case.get("time")
        if time:
            try:
                ok = math.isfinite(float(time))
            except ValueError:
                ok = False
            if not ok:
                _bad(path, f"testcase {i + 1} time", "a number of seconds", time)
    return cases


def merge_junit(paths: Sequence[Path], suite: str) -> str:
    cases: list[ET.Element] = []
    for path in paths:
        cases += read_junit(path)
    count = {
        kind: sum(1 for c in cases if c.find(kind) is not None)
        for kind in ("failure", "error", "skipped")
    }
    time_total = sum(float(c.get("time", "0") or 0) for c in cases)
    attrs = {
        "tests": str(len(cases)),
        "failures": str(count["failure"]),
        "errors": str(count["error"]),
    }
    root = ET.Element("testsuites", {"name": "zenboard", **attrs})
    element = ET.SubElement(
        root,
        "testsuite",
        {"name": suite, **attrs, "skipped": str(count["skipped"]), "time": f"{time_total:.3f}"},
    )
    element.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def check_output(dirs: Sequence[Path], out: Path) -> None:
    """Refuse an output dir that is not a dir, or that is, holds or is inside an input dir."""
    if out.exists() and not out.is_dir():
        raise InputError(f"merge: --report-dir {out} exists and is not a directory")
    for folder in dirs:
        if out == folder:
            relation = "is the input dir"
        elif out.is_relative_to(folder):
            relation = "is inside the input dir"
        elif folder.is_relative_to(out):
            relation = "holds the input dir"
        else:
            continue
        raise InputError(
            f"merge: --report-dir {out} {relation} {folder}: merge into a dir of its own"
        )


def write_files(out: Path, files: Sequence[tuple[str, str]]) -> None:
    """Write `files` (name, text) into `out`, each atomically and never through a symlink.

    `out` is the user's `--report-dir`, taken as named. A symlink planted at a target in it is
    removed and the file written in its place, never followed; `safefs.write_atomic` makes a
    fresh temp file beside the target and removes it if the write fails. A failed write is one
    line (exit 2); summary.json comes last, so a failed merge has none.
    """
    try:
        with safefs.open_dir(out) as out_fd:
            for name, _ in files:
                _unlink_symlink(out_fd, name)
    except OSError as exc:
        raise InputError(f"merge: cannot write into {out} ({safefs.describe(exc)})") from None
    for name, text in files:
        try:
            _atomic_write(out / name, text, root=out)
        except OSError as exc:
            raise InputError(f"{out / name}: cannot write it ({exc.strerror or exc})") from None


def _unlink_symlink(dir_fd: int, name: str) -> None:
    """Remove `name` from the directory if it is a symlink (removing a link writes nothing
    through it); a link planted again before the write is then refused by the write."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode):
            os.unlink(name, dir_fd=dir_fd)


def merge(
    dirs: Sequence[Path], out: Path, quarantine: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge the report dirs `dirs` into `out`; returns the merged summary.

    Every input is read and checked, and every output composed, before anything is written.
    With the project's `quarantine` table, a row may say `"quarantined": true` only for a test
    the table covers: a shard's report is another job's file, and its word alone must not
    excuse a failure (None: no table to check against).
    """
    if not dirs:
        raise InputError("merge: give at least one report dir")
    dirs = [Path(d).resolve() for d in dirs]
    out = Path(out).resolve()
    check_output(dirs, out)
    summaries = load_summaries(dirs)
    if quarantine is not None:
        check_quarantine(summaries, quarantine)
    check_compatible(summaries)
    merged = merge_summaries(summaries)
    files: list[tuple[str, str]] = []
    texts: dict[tuple[str, str], str] = {}
    for suite in merged["suites"]:
        name = suite["name"]
        json_files = [d / f"{name}.json" for d in dirs if (d / f"{name}.json").is_file()]
        if json_files:
            report = merge_suite_reports(json_files)
            texts.update(_failure_texts(name, report))
            files.append((f"{name}.json", json.dumps(report) + "\n"))
        xml_files = [d / f"{name}.xml" for d in dirs if (d / f"{name}.xml").is_file()]
        if xml_files:
            files.append((f"{name}.xml", merge_junit(xml_files, name)))
    shards = [(str(data.get("shard") or i), data) for i, (_, data) in enumerate(summaries, 1)]
    page = html_report.html_report(shards, texts, exit_code=merged["exit_code"])
    files.append((html_report.PAGE, page))
    files.append(("summary.json", summary_text(merged)))
    write_files(out, files)
    return merged


def _failure_texts(suite: str, report: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Failure texts of a merged pytest-json-report (a Playwright report's have no such
    records: its failures show their reason only)."""
    if is_playwright_report(report):
        return {}
    rows = report.get("tests") if isinstance(report.get("tests"), list) else []
    return html_report.texts_of(
        (suite, str(t.get("nodeid", "")), t)
        for t in rows or []
        if isinstance(t, dict) and t.get("outcome") in FAILING
    )
