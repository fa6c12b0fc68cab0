"""Reports written from the model: `summary.json` and a JUnit XML file per suite.

The pytest-json-report file per suite is written by pytest itself (zenboard passes
`--json-report-file`); JUnit is produced here from the same records after the run, which costs
the test processes nothing (pytest's own `--junitxml` would).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from zenboard import safefs
from zenboard.model.claims import conflict_row
from zenboard.model.events import FAILED_OUTCOMES, OUTCOMES
from zenboard.model.quarantine import reason_of
from zenboard.model.state import RunState, SuiteState, TestResult, WorkerState
from zenboard.records import html_report, jsontext, repetitions

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
    if test.started_at is not None:
        row["start"] = round(test.started_at, 3)
    if test.unreported:
        row["unreported"] = True
        row["reason"] = test.reason()
    row.update(retry_fields(test))
    if test.quarantined:
        row["quarantined"] = True
    return row


def retry_fields(test: TestResult) -> dict[str, Any]:
    """A retried test's row keys: `attempts`, and `flaky` when it passed only on a retry."""
    if test.attempts <= 1:
        return {}
    return {"flaky": True, "attempts": test.attempts} if test.flaky else {"attempts": test.attempts}


def suite_summary(suite: SuiteState, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    data = _suite_summary(suite, now)
    if repetitions.has_repetitions(data["tests"]):
        data["tests"] = rows = repetitions.fold(data["tests"])
        data["counts"].update(repetitions.counts_of(rows))
        excused = sum(1 for r in rows if r.get("quarantined") and r["outcome"] in FAILED_OUTCOMES)
        data["counts"]["quarantined_failed"] = excused
    return data


def _suite_summary(suite: SuiteState, now: float) -> dict[str, Any]:
    return {
        "name": suite.name,
        "status": str(suite.status),
        "exit_code": suite.returncode,
        "duration": round(suite.duration(now), 3),
        "collected": suite.collected,
        "counts": {
            **{o: suite.counts[o] for o in OUTCOMES},
            "not_run": len(suite.not_run),
            "flaky": suite.flaky,
            "quarantined_failed": suite.quarantined_failed,
        },
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
                **_crash_time(suite, w),
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
        "rootdir": suite.rootdir,
    }


def _crash_time(suite: SuiteState, worker: WorkerState) -> dict[str, float]:
    """`crashed_at` for a crashed worker: when zenboard learnt it went down, else when it learnt
    the test it was running ended (its crash report arrives as the worker dies; a retried test's
    last attempt, though, ends later than the workers it took down first); nothing when neither
    is known."""
    if not worker.crashed:
        return {}
    if worker.down_at is not None:
        return {"crashed_at": round(worker.down_at, 3)}
    test = suite.tests.get(worker.crashed_test or "")
    if test is None or test.finished_at is None:
        return {}
    return {"crashed_at": round(test.finished_at, 3)}


def summary(
    state: RunState, now: float | None = None, meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The run's summary; `meta` adds top-level keys (the git commit tested, the shard)."""
    ran = [s for s in state.suites.values() if s.runs]
    return {
        "version": SUMMARY_VERSION,
        "exit_code": state.exit_code(),
        **(meta or {}),
        "isolation": isolation_summary(state),
        "suites": [suite_summary(s, now) for s in ran],
    }


def isolation_summary(state: RunState) -> dict[str, Any]:
    """What the suites' workers claimed, and the resources two live holders shared (a warning:
    the exit code does not change)."""
    claims = [
        {
            "suite": s.name,
            "worker": c.worker,
            "pid": c.pid,
            "kind": c.kind,
            "value": c.value,
            "scope": c.scope,
        }
        for s in state.suites.values()
        if s.runs
        for c in s.claims
    ]
    return {"claims": claims, "conflicts": [conflict_row(c) for c in state.conflicts()]}


def _atomic_write(path: Path, text: str, root: Path | None = None) -> None:
    """`path` replaced whole by `text`, never through a symlink below `root` (safefs).

    Text that UTF-8 cannot hold is a failed write (an `OSError`), never silently altered: the
    writers here escape what JSON and XML cannot carry, so none should reach this point.
    """
    safefs.write_atomic(path, text, root)


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


_ROW_KEYS = ("nodeid", "outcome", "worker", "duration", "start")


def _row_text(row: dict[str, Any]) -> str:
    """`json.dumps(row)` for a test row; zenboard's own rows skip json.dumps' per-call set-up."""
    keys = tuple(row)
    if keys != _ROW_KEYS and keys != _ROW_KEYS[:4]:
        return json.dumps(row)
    nodeid, outcome, worker, duration, *start = row.values()
    if not (
        isinstance(nodeid, str)
        and isinstance(outcome, str)
        and isinstance(worker, str)
        and type(duration) is float
        and all(type(s) is float for s in start)
    ):
        return json.dumps(row)
    string = jsontext.string
    tail = f', "start": {jsontext.number(start[0])}' if start else ""
    return (
        f'{{"nodeid": {string(nodeid)}, "outcome": {string(outcome)}, '
        f'"worker": {string(worker)}, "duration": {jsontext.number(duration)}{tail}}}'
    )


LOCK_FILE = ".zenboard.lock"
SUITE_FILE_SUFFIXES = (".json", ".xml")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$")


def publish(
    state: RunState,
    staging: Path,
    report_dir: Path,
    meta: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> Path:
    """Make `report_dir` hold this run's `summary.json`, `report.html` and suite files, and no
    other run's.

    Under a lock on the report dir (two runs at once publish one after the other): the suite
    files this run staged replace the published ones, the files of suites named by the last
    summary but absent from this run (or that wrote no file this time: cancelled, pytest died)
    are removed, and `summary.json` is written last. Only names zenboard could have written are
    touched, and no symlink below `root` (default: the report dir itself) is followed or
    replaced: one found there is a failed write.

    A failed write (a full or read-only disk, a planted symlink) does not stop the others; the
    first is raised (an `OSError` naming the file) after the rest, and then no `summary.json`
    is left beside suite files of another run: the old one is removed, no new one written.
    A `report.html` that cannot be written is removed and its failure raised last (the summary
    still describes this run's suite files, so it is written).

    Args:
        state: The model at the end of the run.
        staging: The engine's staging directory holding this run's suite files.
        report_dir: Where the reports are published.
        meta: Top-level keys added to the summary (the git commit tested, the shard).
        root: The root below which no symlink is followed (None: `report_dir`).
    """
    data = summary(state, meta=meta)
    text = summary_text(data)
    ran = [s.name for s in state.suites.values() if s.runs]
    with safefs.open_dir(report_dir, root or report_dir) as out, _locked(out, report_dir):
        names = sorted(set(ran) | set(_suites_named_in(out)))
        with _open_staging(staging, out, report_dir) as staged:
            failures = _place_all(staged, out, report_dir, names, ran)
        page_failure = _write_page(state, data, out, report_dir, root)
        try:
            if failures:
                raise failures[0]
            _atomic_write(report_dir / "summary.json", text, root or report_dir)
        except OSError:
            _remove_regular(out, "summary.json")
            raise
        _sweep_stale_staging(report_dir)
    if page_failure is not None:
        raise page_failure
    return report_dir / "summary.json"


def failure_texts(state: RunState) -> dict[tuple[str, str], str]:
    """(suite, node id) -> the text report.html shows for a failed test (its record's
    tracebacks), or for a flaky one (its last failed attempt's)."""
    rows = []
    for suite in state.suites.values():
        for test in suite.tests.values():
            if test.failed:
                rows.append((suite.name, test.nodeid, test.record))
            elif test.flaky and test.failed_attempts:
                rows.append((suite.name, test.nodeid, test.failed_attempts[-1]))
    return html_report.texts_of(rows)


def _write_page(
    state: RunState, data: dict[str, Any], out: int, report_dir: Path, root: Path | None
) -> OSError | None:
    """report.html of this run; a page that cannot be written is removed, never left from
    another run, and its failure returned (summary.json still agrees with the suite files)."""
    try:
        empty = {s.name for s in state.empty_suites()}
        page = html_report.html_report([("", data)], failure_texts(state), empty=empty)
        _atomic_write(report_dir / html_report.PAGE, page, root or report_dir)
    except OSError as exc:
        _remove_regular(out, html_report.PAGE)
        return exc
    return None


def _place_all(
    staged: int | None, out: int, report_dir: Path, names: list[str], ran: list[str]
) -> list[OSError]:
    """Every suite file of `names` placed or removed (`_place`); the writes that failed."""
    failures: list[OSError] = []
    for name in (n for n in names if _SAFE_NAME.match(n)):
        for suffix in SUITE_FILE_SUFFIXES:
            try:
                _place(staged, out, f"{name}{suffix}", name in ran, report_dir)
            except OSError as exc:
                failures.append(exc)
    return failures


@contextlib.contextmanager
def _open_staging(staging: Path, out: int, report_dir: Path) -> Iterator[int | None]:
    """The staging dir's descriptor: reached from the report dir's when it is inside it (no link
    followed), else opened as it is (a private `mkdtemp` dir). None when it is gone: then
    nothing is staged, and every suite file this run would publish is removed."""
    fd: int | None
    try:
        if staging.parent == report_dir:
            fd = os.open(staging.name, _DIR_FLAGS, dir_fd=out)
        else:
            fd = os.open(staging, _DIR_FLAGS)
    except OSError:
        fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _place(staged: int | None, out: int, name: str, keep: bool, report_dir: Path) -> None:
    """`name` in the report dir becomes the staged file (a new hard link, swapped in whole), or
    goes away; a symlink there is refused, never replaced or followed."""
    if _lstat(out, name, stat.S_ISLNK):
        raise safefs.SymlinkRefused(report_dir / name)
    if keep and staged is not None and _lstat(staged, name, stat.S_ISREG):
        temp = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            _link_or_copy(staged, name, out, temp)
            os.replace(temp, name, src_dir_fd=out, dst_dir_fd=out)
            # Published already (a later suite's publish): `name` and `temp` are links to one
            # file, and rename(2) then does nothing, leaving `temp` behind.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=out)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=out)
            raise OSError(exc.errno, exc.strerror, str(report_dir / name)) from None
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=out)


_NO_HARD_LINKS = (errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS)
"""Why a hard link cannot be made where a copy can (another file system, or one without them)."""


def _lstat(dir_fd: int, name: str, test: Callable[[int], bool]) -> bool:
    """Whether `name` in `dir_fd` exists and passes `test` on its mode (never followed)."""
    try:
        return bool(test(os.lstat(name, dir_fd=dir_fd).st_mode))
    except FileNotFoundError:
        return False


def _link_or_copy(src_dir: int, name: str, dst_dir: int, temp: str) -> None:
    """`temp` in `dst_dir` as a hard link to `name` in `src_dir`, or a copy where links cannot
    be made (another file system: a private staging dir); the copy is made as `mkstemp`
    makes a file, and never follows a link."""
    try:
        os.link(name, temp, src_dir_fd=src_dir, dst_dir_fd=dst_dir, follow_symlinks=False)
        return
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=src_dir)
    with os.fdopen(source, "rb") as reader:
        target = os.open(temp, flags, 0o600, dir_fd=dst_dir)
        with os.fdopen(target, "wb") as writer:
            shutil.copyfileobj(reader, writer)
            os.fchmod(writer.fileno(), stat.S_IMODE(os.fstat(reader.fileno()).st_mode))


def _remove_regular(dir_fd: int, name: str) -> None:
    """Remove `name` if it is a plain file (best effort: the disk may be read-only)."""
    with contextlib.suppress(OSError):
        if _lstat(dir_fd, name, stat.S_ISREG):
            os.unlink(name, dir_fd=dir_fd)


def _suites_named_in(out: int) -> list[str]:
    """Suite names of the published summary (whose files this publish must replace or remove);
    a `summary.json` that is a symlink is not read through."""
    try:
        fd = os.open("summary.json", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=out)
        with os.fdopen(fd, "rb") as file:
            data = json.load(file)
    except (OSError, ValueError, RecursionError):  # RecursionError: nested thousands deep
        return []
    suites = data.get("suites") if isinstance(data, dict) else None
    if not isinstance(suites, list):
        return []
    return [s["name"] for s in suites if isinstance(s, dict) and isinstance(s.get("name"), str)]


@contextlib.contextmanager
def _locked(out: int, report_dir: Path) -> Iterator[None]:
    """The report dir's lock (`.zenboard.lock`, made without following a link)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(LOCK_FILE, flags, 0o600, dir_fd=out)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise safefs.SymlinkRefused(report_dir / LOCK_FILE) from None
        raise OSError(exc.errno, exc.strerror, str(report_dir / LOCK_FILE)) from None
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


def _testcase(test: TestResult, quarantine: Mapping[str, str]) -> str:
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
    retries = "".join(_attempt_element(test, record) for record in test.failed_attempts)
    if test.failed:
        tag = "failure" if test.outcome == "failed" else "error"
        message = _attrs(message=test.reason()[:500])
        body = escape(_stage_text(test))
        marked = _quarantine_property(test, quarantine)
        return (
            f"    <testcase{head}>\n{marked}      <{tag}{message}>{body}</{tag}>\n{retries}"
            "    </testcase>\n"
        )
    if retries:
        return f"    <testcase{head}>\n{retries}    </testcase>\n"
    if test.outcome in ("skipped", "xfailed"):
        message = _attrs(message=test.reason()[:500] if test.outcome == "skipped" else "xfail")
        return f"    <testcase{head}>\n      <skipped{message}/>\n    </testcase>\n"
    return f"    <testcase{head}/>\n"


def _attempt_element(test: TestResult, record: dict[str, Any]) -> str:
    """One failed attempt before the last, as Maven Surefire and nextest write it:
    `flakyFailure` (`flakyError`) when the test then passed, else `rerunFailure` (`rerunError`)."""
    attempt = TestResult(test.nodeid, "failed", test.worker, 0.0, record)
    error = any(
        isinstance(record.get(p), dict) and record[p].get("outcome") == "failed"
        for p in ("setup", "teardown", "???")
    )
    kind = ("flaky" if test.flaky else "rerun") + ("Error" if error else "Failure")
    message = _attrs(message=attempt.reason()[:500], type="error" if error else "failed")
    trace = escape(_stage_text(attempt))
    return f"      <{kind}{message}>\n        <stackTrace>{trace}</stackTrace>\n      </{kind}>\n"


def _quarantine_property(test: TestResult, quarantine: Mapping[str, str]) -> str:
    """A quarantined failure keeps its <failure> (it failed) and says why it failed nothing:
    `<property name="quarantined" value="<reason>"/>`, as pytest writes a test's properties."""
    if not test.quarantined:
        return ""
    reason = reason_of(test.nodeid, quarantine) or "true"
    prop = _attrs(name="quarantined", value=reason)
    return f"      <properties>\n        <property{prop}/>\n      </properties>\n"


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


def junit_xml(suite: SuiteState, quarantine: Mapping[str, str] | None = None) -> str:
    """A JUnit XML document for one suite, in the shape CI test-report viewers read
    (`quarantine`: the project's table, for the reason a quarantined failure carries).

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
    parts += [_testcase(test, quarantine or {}) for test in suite.tests.values()]
    parts += [_testcase(test, {}) for test in no_outcome]
    for nodeid, longrepr in suite.collect_errors:
        head = _attrs(classname="collection", name=nodeid or "collection")
        body = escape(_xml_text(longrepr))
        parts.append(
            f'    <testcase{head}>\n      <error message="collection error">{body}</error>\n'
            "    </testcase>\n"
        )
    parts.append("  </testsuite>\n</testsuites>\n")
    return "".join(parts)


def write_suite_reports(
    suite: SuiteState, report_dir: Path, quarantine: Mapping[str, str] | None = None
) -> Path:
    """The suite's JUnit file in `report_dir` (a run's private staging dir)."""
    path = report_dir / f"{suite.name}.xml"
    _atomic_write(path, junit_xml(suite, quarantine))
    return path
