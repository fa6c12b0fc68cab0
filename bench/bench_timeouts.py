"""Benchmark: from a test passing its timeout to its report, and its slow threshold to SLOW.

    .venv/bin/python bench/bench_timeouts.py            # print the figures
    .venv/bin/python bench/bench_timeouts.py --write    # also update docs/performance.md

A throwaway project holds a test that notes the wall time it starts at (in a file) and sleeps,
beside a few quick ones. Timeout: the suite runs with `timeout = 1` in an `Engine` read every
10 ms, with xdist (`-n 2`) and without; the figure is from the test's start plus 1 s to the
moment its `TestFinished` (the timeout's report) reaches zenboard. SLOW: `zenboard run --ci`'s
headless view in this process with `slow = 1`, its output timestamped line by line; the figure
is from the test's start plus 1 s to its SLOW line.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.config import load_config  # noqa: E402
from zenboard.engine import Engine, EventBuffer  # noqa: E402
from zenboard.headless.run import HeadlessRun, RunOptions  # noqa: E402
from zenboard.model import events as ev  # noqa: E402

SECTION = "## Timeouts and the SLOW mark (bench/bench_timeouts.py)"
REPEATS = 5
LIMIT = 1.0
"""The timeout and the slow threshold, in seconds."""
HANGING = "tests/test_hang.py::test_hangs"
TESTS = """
import time
from pathlib import Path


def test_quick_1():
    pass


def test_hangs():
    Path(__file__).with_name("started.txt").write_text(repr(time.time()))
    time.sleep({sleep})


def test_quick_2():
    pass
"""


def _project(root: Path, suite: str, sleep: float) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_hang.py").write_text(textwrap.dedent(TESTS.format(sleep=sleep)))
    (root / "pyproject.toml").write_text(
        "[tool.zenboard]\n[[tool.zenboard.suites]]\n" + textwrap.dedent(suite)
    )
    return root


def _started(root: Path) -> float:
    return float((root / "tests" / "started.txt").read_text())


def timeout_latency(workers: int) -> float:
    """Seconds from the test's start plus its timeout to its report reaching zenboard."""
    with tempfile.TemporaryDirectory() as tmp:
        root = _project(
            Path(tmp), f'name = "unit"\nworkers = {workers}\ntimeout = {LIMIT}\n', sleep=60
        )
        config = load_config(root)
        buffer = EventBuffer()
        engine = Engine(config, buffer, root / "reports")
        engine.start(config.suites[0])
        reported = None
        deadline = time.time() + 120
        while reported is None and time.time() < deadline:
            for event in buffer.drain():
                if isinstance(event, ev.TestFinished) and event.nodeid == HANGING:
                    reported = time.time()
            time.sleep(0.01)
        engine.cancel_all()
        engine.close()
        if reported is None:
            raise SystemExit(f"no report for {HANGING} (workers={workers})")
        return reported - (_started(root) + LIMIT)


class _Stamped(io.StringIO):
    """The headless view's output, each line with the time it was written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.lines.append((time.time(), text))
        return len(text)


def slow_latency() -> float:
    """Seconds from the test's start plus the slow threshold to its SLOW line."""
    with tempfile.TemporaryDirectory() as tmp:
        root = _project(Path(tmp), f'name = "unit"\nworkers = 0\nslow = {LIMIT}\n', sleep=2.5)
        config = load_config(root)
        out = _Stamped()
        options = RunOptions(report_dir=root / "reports", ci=True, out=out)
        HeadlessRun(config, config.suites, options).run()
        when = next(t for t, line in out.lines if " SLOW " in line)
        return when - (_started(root) + LIMIT)


def _figures(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"median {statistics.median(ms):.0f} ms (min {ms[0]:.0f}, max {ms[-1]:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    xdist = [timeout_latency(2) for _ in range(args.repeats)]
    alone = [timeout_latency(0) for _ in range(args.repeats)]
    slow = [slow_latency() for _ in range(args.repeats)]
    rows = [
        ("timeout -> report, xdist (-n 2)", _figures(xdist)),
        ("timeout -> report, no xdist", _figures(alone)),
        ("slow threshold -> SLOW line (--ci)", _figures(slow)),
    ]
    for name, figure in rows:
        print(f"{name}: {figure}")
    if args.write:
        table = "\n".join(f"| {name} | {figure} |" for name, figure in rows)
        text = (
            f"{SECTION}\n\n"
            f"{args.repeats} runs each, on this 2-core machine; `timeout` and `slow` are "
            f"{LIMIT:g} s, and each figure counts from the wall time the test itself noted at its "
            "start plus that second.\n\n"
            "| from | to zenboard |\n|---|---|\n"
            f"{table}\n\n"
            "Where the time goes. Under xdist the worker's watchdog fires on time; then the "
            "worker exits, xdist notices its channel closing, reports the crash item (which "
            "zenboard's controller plugin turns into the timeout's report) and the plugin's "
            "20 ms batch reaches the engine's reader. Without xdist the SIGALRM fails the test at "
            "once and the report follows pytest's teardown. The SLOW line waits for the headless "
            "view's next tick (every 100 ms) after the threshold, counted from when zenboard "
            "received `test_started` (up to about 40 ms after the test's real start: the "
            "plugin's and the reader's batching).\n"
        )
        print(f"wrote {replace_section(SECTION, text)}")


if __name__ == "__main__":
    main()
