"""Reports written from the model: `summary.json` and a JUnit XML file per suite.

The pytest-json-report file per suite is written by pytest itself (zenboard passes
`--json-report-file`); JUnit is produced here from the same records after the run, which costs
the test processes nothing (pytest's own `--junitxml` would).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from zenboard.integrations import jsontext
from zenboard.model.events import OUTCOMES
from zenboard.model.state import RunState, SuiteState, TestResult

SUMMARY_VERSION = 1


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """XML text escaping (xml.sax.saxutils would import urllib and http.client)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char, entity in (entities or {}).items():
        text = text.replace(char, entity)
    return text


_QUOTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Also lone surrogates (a test's undecodable bytes): UTF-8 cannot encode them."""


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters (ANSI colour codes, say): drop them."""
    return _XML_INVALID.sub("", text)


def _test_row(test: TestResult) -> dict[str, Any]:
    row = {
        "nodeid": test.nodeid,
        "outcome": test.outcome,
        "worker": test.worker,
        "duration": round(test.duration, 6),
    }
    if test.unreported:
        row["unreported"] = True
        row["reason"] = test.reason()
    return row


def suite_summary(suite: SuiteState, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {
        "name": suite.name,
        "status": str(suite.status),
        "exit_code": suite.returncode,
        "duration": round(suite.duration(now), 3),
        "collected": suite.collected,
        "counts": {**{o: suite.counts[o] for o in OUTCOMES}, "not_run": len(suite.not_run)},
        "unreported": suite.unreported,
        "not_run": list(suite.not_run),
        "interrupted": list(suite.interrupted),
        "workers": {
            w.id: {
                "done": w.done,
                "passed": w.passed,
                "failed": w.failed,
                "crashed": w.crashed,
                "crashed_test": w.crashed_test,
                "replaced_by": w.replaced_by,
                "replaces": w.replaces,
                "restarts": w.restarts,
                "counts": dict(w.counts),
            }
            for w in suite.workers.values()
        },
        "tests": [_test_row(t) for t in suite.tests.values()],
        "errors": [{"nodeid": n, "longrepr": r} for n, r in suite.collect_errors]
        + ([{"nodeid": "", "longrepr": suite.error}] if suite.error else []),
        "stream": {
            "malformed": suite.malformed,
            "oversized": suite.oversized,
            "duplicates": suite.duplicates,
            "corrected": suite.corrected,
        },
    }


def summary(
    state: RunState, now: float | None = None, meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The run's summary; `meta` adds top-level keys (the git commit tested, the shard)."""
    ran = [s for s in state.suites.values() if s.runs]
    return {
        "version": SUMMARY_VERSION,
        "exit_code": state.exit_code(),
        **(meta or {}),
        "suites": [suite_summary(s, now) for s in ran],
    }


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as file:
        file.write(text)
    os.replace(tmp, path)


def summary_text(data: dict[str, Any]) -> str:
    """summary.json's text: indented structure, one line per test row.

    `json.dumps(indent=...)` falls back to the pure-Python encoder, which costs a tenth of a
    second on a few thousand tests at the end of every run; rows are written by `_row_text`.
    """
    suites = data.get("suites", [])
    head = {k: v for k, v in data.items() if k != "suites"}
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    lines.append('  "suites": [')
    for i, suite in enumerate(suites):
        fields = [(k, v) for k, v in suite.items() if k != "tests"]
        lines.append("    {")
        lines += [f"      {json.dumps(k)}: {json.dumps(v)}," for k, v in fields]
        rows = [f"        {_row_text(row)}" for row in suite.get("tests", [])]
        lines.append('      "tests": [' + ("\n" + ",\n".join(rows) + "\n      ]" if rows else "]"))
        lines.append("    }" + ("," if i + 1 < len(suites) else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


_ROW_KEYS = ("nodeid", "outcome", "worker", "duration")


def _row_text(row: dict[str, Any]) -> str:
    """`json.dumps(row)` for a test row; zenboard's own rows skip json.dumps' per-call set-up."""
    if tuple(row) != _ROW_KEYS:
        return json.dumps(row)
    nodeid, outcome, worker, duration = row.values()
    if not (
        isinstance(nodeid, str)
        and isinstance(outcome, str)
        and isinstance(worker, str)
        and type(duration) is float
    ):
        return json.dumps(row)
    string = jsontext.string
    return (
        f'{{"nodeid": {string(nodeid)}, "outcome": {string(outcome)}, '
        f'"worker": {string(worker)}, "duration": {jsontext.number(duration)}}}'
    )


LOCK_FILE = ".zenboard.lock"
SUITE_FILE_SUFFIXES = (".json", ".xml")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$")


def publish(
    state: RunState, staging: Path, report_dir: Path, meta: Mapping[str, Any] | None = None
) -> Path:
    """Make `report_dir` hold this run's `summary.json` and suite files, and no other run's.

    Under a lock on the report dir (two runs at once publish one after the other): the suite
    files this run staged replace the published ones, the files of suites named by the last
    summary but absent from this run (or that wrote no file this time: cancelled, pytest died)
    are removed, and `summary.json` is written last. Only names zenboard could have written are
    touched, never through a symlink.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    text = summary_text(summary(state, meta=meta))
    ran = [s.name for s in state.suites.values() if s.runs]
    with _locked(report_dir):
        names = sorted(set(ran) | set(_suites_named_in(report_dir / "summary.json")))
        for name in names:
            if not _SAFE_NAME.match(name):
                continue
            for suffix in SUITE_FILE_SUFFIXES:
                _place(staging / f"{name}{suffix}", report_dir / f"{name}{suffix}", name in ran)
        _atomic_write(report_dir / "summary.json", text)
        _sweep_stale_staging(report_dir)
    return report_dir / "summary.json"


def _place(staged: Path, target: Path, keep: bool) -> None:
    """`target` becomes the staged file (a new hard link, swapped in whole), or goes away."""
    if keep and staged.is_file() and not staged.is_symlink():
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.link(staged, tmp)
        except OSError:  # a file system without hard links: copy
            shutil.copyfile(staged, tmp, follow_symlinks=False)
        os.replace(tmp, target)
        return
    with contextlib.suppress(FileNotFoundError):
        target.unlink()


def _suites_named_in(summary_path: Path) -> list[str]:
    """Suite names of a published summary (whose files this publish must replace or remove)."""
    try:
        data = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    suites = data.get("suites") if isinstance(data, dict) else None
    if not isinstance(suites, list):
        return []
    return [s["name"] for s in suites if isinstance(s, dict) and isinstance(s.get("name"), str)]


@contextlib.contextmanager
def _locked(report_dir: Path) -> Iterator[None]:
    fd = os.open(report_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _sweep_stale_staging(report_dir: Path) -> None:
    """Remove staging dirs of runs whose zenboard is gone (killed before it cleaned up)."""
    for entry in report_dir.glob(".run-*-*"):
        pid = entry.name.split("-")[1]
        if not pid.isdigit() or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except PermissionError:
            continue


def _stage_text(test: TestResult) -> str:
    parts = []
    for phase in ("setup", "call", "teardown", "???"):
        stage = test.record.get(phase)
        if isinstance(stage, dict) and stage.get("longrepr"):
            parts.append(f"[{phase}]\n{stage['longrepr']}")
    return _xml_text("\n".join(parts))


_ATTR_SPECIAL = re.compile('[&<>"\x00-\x1f\ud800-\udfff\ufffe\uffff]')
"""Anything an attribute value cannot hold as it is; most values (names, times) have none."""


def _attr_value(value: object) -> str:
    text = str(value)
    if _ATTR_SPECIAL.search(text) is None:
        return text
    return escape(_xml_text(text), _QUOTE)


def _attrs(**values: object) -> str:
    return "".join(f' {key}="{_attr_value(value)}"' for key, value in values.items())


def _testcase(test: TestResult) -> str:
    path, _, name = test.nodeid.partition("::")
    classname = path.removesuffix(".py").replace("/", ".")
    bare, bracket, params = name.partition("[")  # a parameter id may itself hold "::"
    if "::" in bare:
        cls, _, bare = bare.rpartition("::")
        classname = f"{classname}.{cls.replace('::', '.')}"
        name = bare + bracket + params
    head = _attrs(
        classname=classname,
        name=name or path,
        time=f"{test.duration:.3f}",
        file=path,
        worker=test.worker,
    )
    if test.outcome in ("failed", "error"):
        tag = "failure" if test.outcome == "failed" else "error"
        message = _attrs(message=test.reason()[:500])
        body = escape(_stage_text(test))
        return f"    <testcase{head}>\n      <{tag}{message}>{body}</{tag}>\n    </testcase>\n"
    if test.outcome in ("skipped", "xfailed"):
        message = _attrs(message=test.reason()[:500] if test.outcome == "skipped" else "xfail")
        return f"    <testcase{head}>\n      <skipped{message}/>\n    </testcase>\n"
    return f"    <testcase{head}/>\n"


def _no_outcome_cases(suite: SuiteState) -> list[TestResult]:
    """Interrupted and never-run tests, and a suite that could not complete, as JUnit errors:
    a CI test-report viewer must not show green where zenboard exits 1."""

    def error(nodeid: str, message: str) -> TestResult:
        record = {"???": {"outcome": "failed", "longrepr": message, "crash": {"message": message}}}
        return TestResult(nodeid, "error", "", 0.0, record)

    cases = [error(n, "interrupted: running when the run was cancelled") for n in suite.interrupted]
    cases += [error(n, "not run: the run ended before this test started") for n in suite.not_run]
    if suite.error:
        cases.append(error(f"zenboard::{suite.name}", f"suite error: {suite.error}"))
    return cases


def junit_xml(suite: SuiteState) -> str:
    """A JUnit XML document for one suite, in the shape CI test-report viewers read.

    Built as text rather than through ElementTree: on a suite of thousands of tests this is
    the difference between milliseconds and a tenth of a second at the end of every run.
    """
    counts = suite.counts
    no_outcome = _no_outcome_cases(suite)
    tests = str(len(suite.tests) + len(suite.collect_errors) + len(no_outcome))
    errors = str(counts["error"] + len(suite.collect_errors) + len(no_outcome))
    failures = counts["failed"]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f"<testsuites{_attrs(name='zenboard', tests=tests, failures=failures, errors=errors)}>\n",
        "  <testsuite"
        + _attrs(
            name=suite.name,
            tests=tests,
            failures=counts["failed"],
            errors=errors,
            skipped=counts["skipped"] + counts["xfailed"],
            time=f"{sum(t.duration for t in suite.tests.values()):.3f}",
        )
        + ">\n",
    ]
    parts += [_testcase(test) for test in suite.tests.values()]
    parts += [_testcase(test) for test in no_outcome]
    for nodeid, longrepr in suite.collect_errors:
        head = _attrs(classname="collection", name=nodeid or "collection")
        body = escape(_xml_text(longrepr))
        parts.append(
            f'    <testcase{head}>\n      <error message="collection error">{body}</error>\n'
            "    </testcase>\n"
        )
    parts.append("  </testsuite>\n</testsuites>\n")
    return "".join(parts)


def write_suite_reports(suite: SuiteState, report_dir: Path) -> Path:
    path = report_dir / f"{suite.name}.xml"
    _atomic_write(path, junit_xml(suite))
    return path
