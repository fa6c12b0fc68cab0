"""Join the reports of CI shards (`zenboard run --shard K/N`) into one report dir.

Each shard's dir holds `summary.json` and per suite `<suite>.json` (pytest-json-report) and
`<suite>.xml` (JUnit). The merged dir has the same files, as if one machine had run everything.
Reports that cannot belong together are refused (exit 2, one line): reports of different
commits (one shard tested other code than the rest) or a test reported by two shards (the same
dir given twice, or shards of different plans).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from zenboard.errors import InputError
from zenboard.integrations.reports import SUMMARY_VERSION, _atomic_write
from zenboard.model.events import OUTCOMES

STATUS_RANK = ("error", "failed", "cancelled", "passed", "no tests", "idle")
"""Worst first: a merged suite has the worst status any shard gave it."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def load_summaries(dirs: Sequence[Path]) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for folder in dirs:
        path = folder / "summary.json"
        if not path.is_file():
            raise InputError(f"{folder}: no summary.json (expected a zenboard report dir)")
        data = _read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("suites"), list):
            raise InputError(f"{path}: suites: expected a zenboard summary")
        found.append((folder, data))
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
                    "counts": dict.fromkeys((*OUTCOMES, "not_run"), 0),
                    "unreported": 0,
                    "not_run": [],
                    "interrupted": [],
                    "workers": {},
                    "tests": [],
                    "errors": [],
                    "stream": {"malformed": 0, "oversized": 0, "duplicates": 0, "corrected": 0},
                },
            )
            status = str(suite.get("status", "error"))
            if STATUS_RANK.index(status if status in STATUS_RANK else "error") < STATUS_RANK.index(
                merged["status"]
            ):
                merged["status"] = status
            merged["exit_code"] = max(merged["exit_code"] or 0, suite.get("exit_code") or 0)
            merged["duration"] = max(merged["duration"], float(suite.get("duration") or 0))
            merged["collected"] += int(suite.get("collected") or 0)
            for outcome in merged["counts"]:
                merged["counts"][outcome] += int(suite.get("counts", {}).get(outcome, 0))
            merged["unreported"] += int(suite.get("unreported") or 0)
            for key in ("not_run", "interrupted"):
                listed = suite.get(key)
                if isinstance(listed, list):
                    merged[key] += [n for n in listed if isinstance(n, str)]
            for worker, row in suite.get("workers", {}).items():
                merged["workers"][f"shard{label}-{worker}"] = row
            merged["tests"] += suite.get("tests", [])
            merged["errors"] += suite.get("errors", [])
            for key in merged["stream"]:
                merged["stream"][key] += int(suite.get("stream", {}).get(key, 0))
    statuses = [s["status"] for s in suites.values()]
    incomplete = any(s["unreported"] or s["not_run"] or s["interrupted"] for s in suites.values())
    if incomplete or any(s in ("error", "failed", "cancelled") for s in statuses):
        exit_code = 1
    elif statuses and all(s == "no tests" for s in statuses):
        exit_code = 5
    else:
        exit_code = 0
    return {
        "version": SUMMARY_VERSION,
        "exit_code": exit_code,
        "commit": summaries[0][1].get("commit"),
        "shard": None,
        "merged_from": [str(folder) for folder, _ in summaries],
        "suites": list(suites.values()),
    }


def merge_json_reports(paths: Sequence[Path]) -> dict[str, Any]:
    """pytest-json-report files of one suite's shards as one report."""
    reports = [_read_json(p) for p in paths]
    tests = [t for r in reports for t in r.get("tests", [])]
    collectors: dict[str, Any] = {}
    for r in reports:
        for c in r.get("collectors", []):
            collectors.setdefault(c.get("nodeid", ""), c)
    summary: dict[str, Any] = {}
    for t in tests:
        summary[t["outcome"]] = summary.get(t["outcome"], 0) + 1
    summary["total"] = len(tests)
    summary["collected"] = sum(int(r.get("summary", {}).get("collected", 0)) for r in reports)
    first = reports[0]
    return {
        **first,
        "created": min(float(r.get("created", 0)) for r in reports),
        "duration": max(float(r.get("duration", 0)) for r in reports),
        "exitcode": max(int(r.get("exitcode", 0)) for r in reports),
        "summary": summary,
        "collectors": list(collectors.values()),
        "tests": tests,
        "warnings": [w for r in reports for w in r.get("warnings", [])],
    }


def merge_junit(paths: Sequence[Path], suite: str) -> str:
    cases: list[ET.Element] = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            raise InputError(f"{path}: not a readable JUnit XML file ({exc})") from None
        cases += root.iter("testcase")
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


def merge(dirs: Sequence[Path], out: Path) -> dict[str, Any]:
    """Merge the report dirs `dirs` into `out`; returns the merged summary."""
    if not dirs:
        raise InputError("merge: give at least one report dir")
    summaries = load_summaries(dirs)
    check_compatible(summaries)
    merged = merge_summaries(summaries)
    out.mkdir(parents=True, exist_ok=True)
    for suite in merged["suites"]:
        name = suite["name"]
        json_files = [d / f"{name}.json" for d in dirs if (d / f"{name}.json").is_file()]
        if json_files:
            _atomic_write(out / f"{name}.json", json.dumps(merge_json_reports(json_files)) + "\n")
        xml_files = [d / f"{name}.xml" for d in dirs if (d / f"{name}.xml").is_file()]
        if xml_files:
            _atomic_write(out / f"{name}.xml", merge_junit(xml_files, name))
    _atomic_write(out / "summary.json", json.dumps(merged, indent=2) + "\n")
    return merged
