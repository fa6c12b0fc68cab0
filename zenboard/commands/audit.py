"""`zenboard audit`: is every test in exactly one suite, and does every suite select a test?

Exit 0 when clean, 1 on any finding (a test in no suite, a test in two suites, a suite that
selects nothing, a suite or the project that cannot be collected), 2 on bad input (no project,
a configuration zenboard cannot use).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zenboard.onboarding.audit import Findings

NAME = "audit"
HELP = "check that the suites hold every test exactly once and that none selects nothing"
WRITES = "Collects the tests with pytest (--collect-only); writes nothing."
SHOWN = 20
"""Tests listed per finding in the text output (--json lists them all)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def finding_lines(findings: Findings, root: Path, markers: Sequence[tuple[str, int]]) -> list[str]:
    """The findings in words, one line each (tests indented below their finding)."""
    from zenboard.onboarding.audit import shown
    from zenboard.textsafe import visible

    lines: list[str] = []
    for name, error in findings.errors.items():
        lines.append(f"suite {name} cannot be collected: {visible(error)}")
    if findings.unassigned:
        lines.append(f"{_count(findings.unassigned)} in no suite:")
        lines += [f"  {visible(shown(n, root))}" for n in findings.unassigned[:SHOWN]]
        lines += _more(len(findings.unassigned))
    if findings.duplicated:
        lines.append(f"{_count(findings.duplicated)} in two or more suites:")
        for nodeid, names in list(findings.duplicated.items())[:SHOWN]:
            lines.append(f"  {visible(shown(nodeid, root))}  ({', '.join(names)})")
        lines += _more(len(findings.duplicated))
    if findings.empty:
        in_use = ", ".join(f"{visible(m)} ({n})" for m, n in markers) or "none"
        for name in findings.empty:
            lines.append(f"suite {name} selects no test; the project's markers in use: {in_use}")
    return lines


def _count(items: Sized) -> str:
    from zenboard.words import plural

    return plural(len(items), "test")


def _more(total: int) -> list[str]:
    return [f"  ... and {total - SHOWN} more (--json lists them all)"] if total > SHOWN else []


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from zenboard.config import load_config
    from zenboard.onboarding.audit import absolute, collect_suites, find, shown
    from zenboard.planning.inventory import take_inventory
    from zenboard.textsafe import visible
    from zenboard.words import plural

    config = load_config(args.project)
    root = config.root
    pytest_suites = [s for s in config.suites if s.kind == "pytest"]
    with ThreadPoolExecutor(max_workers=1) as pool:  # plain pytest beside the suites' pytests
        plain = pool.submit(take_inventory, sys.executable, root)
        collected = collect_suites(pytest_suites)
        everything = plain.result()
    findings = find(
        [absolute(n, everything.rootdir) for n in everything.tests],
        collected,
        may_be_empty=[s.name for s in pytest_suites if getattr(s, "allow_empty", False)],
    )
    clean = findings.clean and not everything.error
    skipped = [s.name for s in config.suites if s.kind != "pytest"]
    if getattr(args, "json", False):
        data = {
            "root": str(root),
            "clean": clean,
            "tests": findings.total,
            "suites": dict(findings.counts),
            "not_checked": skipped,
            "unassigned": [shown(n, root) for n in findings.unassigned],
            "duplicated": {shown(n, root): list(s) for n, s in findings.duplicated.items()},
            "empty": list(findings.empty),
            "errors": dict(findings.errors),
            "project_error": everything.error,
            "markers": dict(everything.marker_counts()),
        }
        print(json.dumps(data, indent=2))
        return 0 if clean else 1
    if everything.error:
        print(
            f"the project's tests cannot be collected (plain pytest in {visible(str(root))}): "
            f"{visible(everything.error)}"
        )
    else:
        counts = ", ".join(f"{name} {n}" for name, n in findings.counts.items()) or "none"
        where = visible(str(root))  # a path: its folders' names are not zenboard's
        print(f"{plural(findings.total, 'test')} in {where} (plain pytest); suites: {counts}")
    if skipped:
        print(f"not checked (not pytest suites): {', '.join(skipped)}")
    for line in finding_lines(findings, root, everything.marker_counts()):
        print(line)
    if clean:
        print("clean: every test is in exactly one suite, and every suite selects a test")
    return 0 if clean else 1
