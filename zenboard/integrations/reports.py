"""Reports written from the model: `summary.json` and a JUnit XML file per suite.

The pytest-json-report file per suite is written by pytest itself (zenboard passes
`--json-report-file`); JUnit is produced here from the same records after the run, which costs
the test processes nothing (pytest's own `--junitxml` would).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
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
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters (ANSI colour codes, say): drop them."""
    return _XML_INVALID.sub("", text)


def suite_summary(suite: SuiteState, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {
        "name": suite.name,
        "status": str(suite.status),
        "exit_code": suite.returncode,
        "duration": round(suite.duration(now), 3),
        "collected": suite.collected,
        "counts": {o: suite.counts[o] for o in OUTCOMES},
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
        "tests": [
            {
                "nodeid": t.nodeid,
                "outcome": t.outcome,
                "worker": t.worker,
                "duration": round(t.duration, 6),
            }
            for t in suite.tests.values()
        ],
        "errors": [{"nodeid": n, "longrepr": r} for n, r in suite.collect_errors]
        + ([{"nodeid": "", "longrepr": suite.error}] if suite.error else []),
        "stream": {
            "malformed": suite.malformed,
            "oversized": suite.oversized,
            "duplicates": suite.duplicates,
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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


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


def write_summary(state: RunState, report_dir: Path, meta: Mapping[str, Any] | None = None) -> Path:
    path = report_dir / "summary.json"
    _atomic_write(path, summary_text(summary(state, meta=meta)))
    return path


def _stage_text(test: TestResult) -> str:
    parts = []
    for phase in ("setup", "call", "teardown", "???"):
        stage = test.record.get(phase)
        if isinstance(stage, dict) and stage.get("longrepr"):
            parts.append(f"[{phase}]\n{stage['longrepr']}")
    return _xml_text("\n".join(parts))


_ATTR_SPECIAL = re.compile('[&<>"\x00-\x1f\ufffe\uffff]')
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


def junit_xml(suite: SuiteState) -> str:
    """A JUnit XML document for one suite, in the shape CI test-report viewers read.

    Built as text rather than through ElementTree: on a suite of thousands of tests this is
    the difference between milliseconds and a tenth of a second at the end of every run.
    """
    counts = suite.counts
    tests = str(len(suite.tests) + len(suite.collect_errors))
    errors = str(counts["error"] + len(suite.collect_errors))
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
