"""report.html for 20,000 tests: time to write it, its size, and its load and search in Chromium.

    .venv/bin/python bench/bench_report_html.py [--tests 20000] [--repeat 5] [--write docs/performance.md]

Builds a run's model as the reducer leaves it (one suite of 8 xdist workers, one crashed and
replaced, 2 % of the tests failed with a 40-line traceback each, 1 % flaky), then times
`reports.publish` (summary.json, and report.html drawn from the same data) against the same
publish writing summary.json alone, and the page's share of it. The page is then opened in real
Chromium (Playwright from Node, as the tests do): load is `goto` until the load event, by which
time the page's script has drawn every bar; search is typing a word until the filter has run
over every test and the next frame is drawn (80 ms of it is the search box's wait for the
typing to pause).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.report_browser

from perfdoc import replace_section

from tests.report_browser import open_report
from zenboard.model.state import RunState, SuiteStatus, TestResult, WorkerState
from zenboard.records import html_report, reports

SECTION = "## report.html for 20,000 tests"
WORKERS = 8
TRACEBACK = "\n".join(
    f"tests/unit/test_orders.py:{100 + i}: in helper_{i}\n    value = compute(x, y)  # line {i}"
    for i in range(20)
)


def model(count: int) -> RunState:
    """A finished run of `count` tests on 8 workers; gw3 crashed and gw8 replaced it."""
    state = RunState.for_suites(["unit"])
    suite = state.suites["unit"]
    suite.runs, suite.status, suite.returncode = 1, SuiteStatus.FAILED, 1
    t0 = 1_764_561_600.0
    clocks = [t0] * (WORKERS + 1)
    for i in range(count):
        lane = i % WORKERS
        worker = f"gw{lane}" if not (lane == 3 and i > count // 2) else "gw8"
        slot = WORKERS if worker == "gw8" else lane
        duration = 0.004 + (i % 17) * 0.003
        outcome = "failed" if i % 50 == 7 else "skipped" if i % 97 == 5 else "passed"
        record = (
            {"call": {"outcome": "failed", "longrepr": TRACEBACK}} if outcome == "failed" else {}
        )
        nodeid = f"tests/unit/test_module_{i // 40:03d}.py::TestThing::test_case_{i:05d}[p{i % 7}]"
        attempts = 2 if i % 100 == 11 else 1
        failed = ({"call": {"outcome": "failed", "longrepr": TRACEBACK}},) if attempts > 1 else ()
        if slot == WORKERS and clocks[slot] == t0:
            clocks[slot] = clocks[3] + 0.5  # the replacement starts after gw3 died
        start = clocks[slot]
        test = TestResult(nodeid, outcome, worker, duration, record, attempts=attempts)
        test.failed_attempts, test.started_at = failed, start
        test.finished_at = start + duration
        clocks[slot] = start + duration + 0.001
        suite.tests[nodeid] = test
        suite.counts[outcome] += 1
        suite.flaky += test.flaky
        suite.workers.setdefault(worker, WorkerState(worker)).done += 1
    crashed = [t for t in suite.tests.values() if t.worker == "gw3"][-1]
    gw3, gw8 = suite.workers["gw3"], suite.workers["gw8"]
    gw3.crashed, gw3.crashed_test, gw3.replaced_by, gw8.replaces = (
        True,
        crashed.nodeid,
        "gw8",
        "gw3",
    )
    suite.started_at, suite.finished_at = t0, max(clocks)
    suite.collected = count
    return state


def publish_seconds(state: RunState, repeat: int, page: bool) -> list[float]:
    """Wall seconds of `reports.publish` (without report.html when `page` is false)."""
    times = []
    with tempfile.TemporaryDirectory(prefix="zenboard-bench-") as scratch:
        out, staging = Path(scratch) / "out", Path(scratch) / "staging"
        staging.mkdir()
        for _ in range(repeat):
            skip = mock.patch.object(reports, "_write_page", return_value=None)
            with contextlib.nullcontext() if page else skip:
                began = time.perf_counter()
                reports.publish(state, staging, out)
                times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    state = model(args.tests)
    with_page = publish_seconds(state, args.repeat, page=True)
    without = publish_seconds(state, args.repeat, page=False)
    data = reports.summary(state)
    texts = reports.failure_texts(state)
    page_only = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        text = html_report.html_report([("", data)], texts)
        page_only.append(time.perf_counter() - began)
    size = len(text.encode())
    packed = len(gzip.compress(text.encode()))
    loads, searches, filters = [], [], []
    with tempfile.TemporaryDirectory(prefix="zenboard-bench-") as scratch:
        path = Path(scratch) / "report.html"
        path.write_text(text)
        for _ in range(3):
            shown = open_report(path, query="test_case_0199")
            assert not shown["errors"], shown["errors"]
            assert len(shown["bars"]) == args.tests, len(shown["bars"])
            loads.append(shown["load_ms"])
            searches.append(shown["search_ms"])
            filters.append(shown["matched"]["filter_ms"])
    load_after = os.getloadavg()
    med = statistics.median
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, load average before "
        f"{load_before[0]:.1f}, after {load_after[0]:.1f} (other engineers' runs share the "
        "machine). Reproduce with `.venv/bin/python bench/bench_report_html.py --write "
        "docs/performance.md`. One suite of "
        f"{args.tests:,} tests on 8 xdist workers (one crashed and replaced), 2 % failed with a "
        "40-line traceback, 1 % flaky; medians of "
        f"{args.repeat} (Chromium: of 3).",
        "",
        f"- End of run, `reports.publish` with report.html: **{med(with_page) * 1000:.0f} ms**; "
        f"without it (summary.json alone): {med(without) * 1000:.0f} ms. Drawing the page's "
        f"text alone: {med(page_only) * 1000:.0f} ms.",
        f"- report.html: **{size / 1e6:.1f} MB** ({packed / 1e6:.2f} MB gzipped, as CI "
        "artifact stores usually keep it).",
        f"- Chromium, open the file until every bar is drawn: **{med(loads) / 1000:.2f} s** "
        f"({', '.join(f'{ms / 1000:.2f}' for ms in loads)}).",
        f"- Search: typing a test's name until the page has filtered all {args.tests:,} tests "
        f"and dimmed the other bars: **{med(searches)} ms**, of which the filter itself "
        f"{med(filters)} ms, 80 ms the box's wait for typing to pause, the rest the "
        "browser updating the list of matches and drawing the frame.",
    ]
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    if args.write:
        replace_section(SECTION, text_out, args.write)


if __name__ == "__main__":
    main()
