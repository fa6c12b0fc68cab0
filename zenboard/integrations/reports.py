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
from xml.etree import ElementTree as ET

from zenboard.model.events import OUTCOMES
from zenboard.model.state import RunState, SuiteState, TestResult

SUMMARY_VERSION = 1
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


def write_summary(state: RunState, report_dir: Path, meta: Mapping[str, Any] | None = None) -> Path:
    path = report_dir / "summary.json"
    _atomic_write(path, json.dumps(summary(state, meta=meta), indent=2) + "\n")
    return path


def _stage_text(test: TestResult) -> str:
    parts = []
    for phase in ("setup", "call", "teardown", "???"):
        stage = test.record.get(phase)
        if isinstance(stage, dict) and stage.get("longrepr"):
            parts.append(f"[{phase}]\n{stage['longrepr']}")
    return _xml_text("\n".join(parts))


def junit_xml(suite: SuiteState) -> str:
    """A JUnit XML document for one suite, in the shape CI test-report viewers read."""
    counts = suite.counts
    root = ET.Element(
        "testsuites",
        name="zenboard",
        tests=str(len(suite.tests)),
        failures=str(counts["failed"]),
        errors=str(counts["error"]),
    )
    element = ET.SubElement(
        root,
        "testsuite",
        name=suite.name,
        tests=str(len(suite.tests)),
        failures=str(counts["failed"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"] + counts["xfailed"]),
        time=f"{sum(t.duration for t in suite.tests.values()):.3f}",
    )
    for test in suite.tests.values():
        path, _, name = test.nodeid.partition("::")
        classname = path.removesuffix(".py").replace("/", ".")
        if "::" in name:
            cls, _, name = name.rpartition("::")
            classname = f"{classname}.{cls.replace('::', '.')}"
        case = ET.SubElement(
            element,
            "testcase",
            classname=classname,
            name=name or path,
            time=f"{test.duration:.3f}",
            file=path,
        )
        case.set("worker", test.worker)
        if test.outcome == "failed":
            ET.SubElement(
                case, "failure", message=_xml_text(test.reason()[:500])
            ).text = _stage_text(test)
        elif test.outcome == "error":
            ET.SubElement(case, "error", message=_xml_text(test.reason()[:500])).text = _stage_text(
                test
            )
        elif test.outcome in ("skipped", "xfailed"):
            ET.SubElement(
                case,
                "skipped",
                message=_xml_text(test.reason()[:500]) if test.outcome == "skipped" else "xfail",
            )
    for nodeid, longrepr in suite.collect_errors:
        case = ET.SubElement(
            element, "testcase", classname="collection", name=nodeid or "collection"
        )
        ET.SubElement(case, "error", message="collection error").text = _xml_text(longrepr)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_suite_reports(suite: SuiteState, report_dir: Path) -> Path:
    path = report_dir / f"{suite.name}.xml"
    _atomic_write(path, junit_xml(suite))
    return path
