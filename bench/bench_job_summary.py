"""Benchmark: the GitHub job summary of a run of 20,000 tests, its time and its size.

    .venv/bin/python bench/bench_job_summary.py            # print the figures
    .venv/bin/python bench/bench_job_summary.py --write    # also update docs/performance.md

A run of 4 suites of 5,000 tests each on 4 workers is folded into the model from events, as a
real run is; failing tests carry a pytest-like longrepr of 200 lines of 120 characters (about
24 KB each). Two cases: 1,000 failures, and every test failing (the worst case for GitHub's
1 MiB limit). The figure is the wall time of `job_summary` (with the annotations) once the
run has ended; every summary must stay under 1 MiB, or the bench fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.headless.github import failure_annotations  # noqa: E402
from zenboard.headless.job_summary import LIMIT_BYTES, job_summary  # noqa: E402
from zenboard.model import events as ev  # noqa: E402
from zenboard.model.reducer import apply  # noqa: E402
from zenboard.model.state import RunState  # noqa: E402

SECTION = "## Job summary for 20,000 tests (bench/bench_job_summary.py)"
SUITES = 4
PER_SUITE = 5_000
REPEATS = 5
PROJECT = Path("/ci/project")


def _longrepr(nodeid: str) -> str:
    frames = [f"    value_{i} = compute({i}, payload)  # {'x' * 80}" for i in range(196)]
    return "\n".join(
        [
            "def test_it():",
            *frames,
            ">       assert response.status == 200",
            "E       AssertionError: assert 500 == 200",
            f"E        +  where 500 = <Response for {nodeid}>.status",
            "",
            "tests/test_api.py:42: AssertionError",
        ]
    )


def _record(nodeid: str) -> dict[str, Any]:
    crash = {
        "path": str(PROJECT / "tests/test_api.py"),
        "lineno": 42,
        "message": "assert 500 == 200",
    }
    call = {"outcome": "failed", "duration": 0.01, "crash": crash, "longrepr": _longrepr(nodeid)}
    return {"nodeid": nodeid, "outcome": "failed", "call": call}


def build_state(failing_every: int) -> RunState:
    """A finished run of SUITES x PER_SUITE tests; every `failing_every`-th test fails."""
    names = [f"suite{k}" for k in range(SUITES)]
    state = RunState.for_suites(names)
    for name in names:
        apply(state, ev.SuiteLaunched(name, ("pytest",), 1, 1000.0))
        apply(state, ev.RunStarted(name, 4, str(PROJECT)))
        for i in range(PER_SUITE):
            nodeid = f"tests/test_api.py::test_endpoint[{name}-{i}]"
            worker = f"gw{i % 4}"
            if i % failing_every == 0:
                event = ev.TestFinished(name, nodeid, worker, "failed", 0.01, _record(nodeid))
            else:
                event = ev.TestFinished(name, nodeid, worker, "passed", 0.001 * (i % 50))
            apply(state, event)
        apply(state, ev.RunFinished(name, 1, 30.0))
        apply(state, ev.SuiteExited(name, 1, 1030.0))
    return state


def measure(failing_every: int) -> tuple[list[float], int, int]:
    """Seconds per summary (with the annotations), its size in bytes, and the failures."""
    state = build_state(failing_every)
    times, size = [], 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        text = job_summary(state, PROJECT, 2000.0, 1)
        failure_annotations(state, PROJECT, PROJECT)
        times.append(time.perf_counter() - start)
        size = len(text.encode())
    if size > LIMIT_BYTES:
        raise SystemExit(f"the summary is {size} bytes: over GitHub's limit of {LIMIT_BYTES}")
    failures = sum(s.failed for s in state.suites.values())
    return times, size, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    rows = []
    for failing_every in (20, 1):
        times, size, failures = measure(failing_every)
        ms = [t * 1000 for t in times]
        rows.append(
            f"| {failures:,} failing | median {statistics.median(ms):.0f} ms "
            f"(min {min(ms):.0f}, max {max(ms):.0f}) | {size / 1024:.0f} KiB |"
        )
        print(rows[-1], flush=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = "\n".join(
        [
            SECTION,
            "",
            f"{REPEATS} builds each, on this 2-core machine (load average {load} at the end). "
            f"{SUITES * PER_SUITE:,} tests in {SUITES} suites on 4 workers each; a failing test "
            "carries a 200-line longrepr (about 24 KB). The time is `job_summary` plus the "
            "annotations, once the run has ended (the run's own time is not in it).",
            "",
            "| run of 20,000 tests | summary + annotations | summary size |",
            "|---|---|---|",
            *rows,
            "",
            "The summary is built under a byte budget (GitHub refuses a step summary over 1 MiB): "
            "the failures are added while they fit, with their short tracebacks (12 lines at "
            "most), and the list ends with how many were left out; they leave 64 KiB for the "
            "sections after them (flaky, quarantined, slowest tests, workers). A short "
            "traceback is built only for a failure that is shown: building all 20,000 took "
            "1.8 s here, against 0.3 s now.",
        ]
    )
    if args.write:
        print(f"wrote {replace_section(SECTION, text)}")
    else:
        print(text)


if __name__ == "__main__":
    main()
