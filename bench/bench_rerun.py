"""Benchmark: `t` on one quick test while other suites run, warm (forked) against cold.

    .venv/bin/python bench/bench_rerun.py            # print the figures
    .venv/bin/python bench/bench_rerun.py --write    # also update docs/performance.md

On a copy of the demo, the suites integration and processing run whole (their xdist workers
busy on the 2 cores) while one quick unit-fast test is rerun as `t` reruns it
(`Engine.start(suite, (nodeid,))`): alternately from the suite's warm server and cold (the
warm servers closed), REPEATS times each. Measured from the call to the test's result reaching
the engine's buffer (the dashboard shows it at its next redraw) and to the run's end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.commands.demo import copy_demo  # noqa: E402
from zenboard.config import load_config  # noqa: E402
from zenboard.engine.buffer import EventBuffer  # noqa: E402
from zenboard.engine.engine import Engine  # noqa: E402
from zenboard.engine.warm import wait_ready  # noqa: E402
from zenboard.model import events as ev  # noqa: E402

SECTION = "## `t` while suites run: warm against cold (bench/bench_rerun.py)"
REPEATS = 5
BUSY = ("integration", "processing")
SUITE = "unit-fast"
NODEID = "tests/test_models.py::test_student_full_name"


def rerun(engine: Engine, buffer: EventBuffer, rootdir: str) -> tuple[float, float, str]:
    """One `t`: (ms to the result, ms to the end, how it started)."""
    suite = engine.config.suite(SUITE)
    started = time.monotonic()
    engine.start(suite, (NODEID,), rootdir)
    result = 0.0
    kind = ""
    while True:
        buffer.wait(0.01)
        for event in buffer.drain():
            if isinstance(event, ev.SuiteLaunched) and event.suite == SUITE:
                kind = event.start or "cold"
            elif isinstance(event, ev.TestFinished) and event.suite == SUITE and not result:
                result = (time.monotonic() - started) * 1000
            elif isinstance(event, ev.SuiteExited) and event.suite == SUITE:
                return result, (time.monotonic() - started) * 1000, kind


def keep_busy(engine: Engine) -> None:
    """Start the busy suites again wherever they ended, so they run during every `t`."""
    running = set(engine.running())
    for name in BUSY:
        if name not in running:
            engine.start(engine.config.suite(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="zenboard-bench-rerun-"))
    project = copy_demo(base / "demo")
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, report_dir=base / "reports")
    engine.enable_warm()
    rootdir = str(project)
    warm: list[tuple[float, float]] = []
    cold: list[tuple[float, float]] = []
    kinds: list[str] = []
    loads: list[float] = []
    busy: list[int] = []
    """How many of the BUSY suites were running when each `t` started."""
    try:
        rerun(engine, buffer, rootdir)  # a first run of the suite starts its warm server
        assert engine.warm is not None
        deadline = time.monotonic() + 120
        while not wait_ready(engine.warm, SUITE, 0.5) and time.monotonic() < deadline:
            pass
        for _ in range(REPEATS):
            for mode in ("warm", "cold"):
                engine.enable_warm()
                if mode == "cold" and engine.warm is not None:
                    engine.warm.close()
                    engine.warm = None
                elif mode == "warm":
                    engine.prewarm([config.suite(SUITE)])
                    assert engine.warm is not None
                    while not wait_ready(engine.warm, SUITE, 0.5):
                        pass
                keep_busy(engine)
                time.sleep(1.0)  # the busy suites' workers are up and running tests
                loads.append(os.getloadavg()[0])
                busy.append(len(set(BUSY) & set(engine.running())))
                result, end, kind = rerun(engine, buffer, rootdir)
                kinds.append(kind)
                (warm if mode == "warm" else cold).append((result, end))
                print(f"{mode}: result {result:.0f} ms, end {end:.0f} ms ({kind})", flush=True)
    finally:
        engine.cancel_all()
        engine.close()

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"

    text = "\n".join(
        [
            SECTION,
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on a copy of the demo, {os.cpu_count()} cores: "
            f"`t` on `{NODEID}` (suite {SUITE}) while {' and '.join(BUSY)} run whole with their "
            f"xdist workers, {REPEATS} times warm and {REPEATS} times cold, alternately. "
            f"When each `t` started, {min(busy)} to {max(busy)} of them were running. "
            f"Load average {min(loads):.1f} to {max(loads):.1f}. Reproduce with "
            "`.venv/bin/python bench/bench_rerun.py --write`.",
            "",
            "| from the key's command to ... | warm (forked) | cold (a new pytest) |",
            "|---|---|---|",
            f"| the result | **{med([r for r, _ in warm])}** | {med([r for r, _ in cold])} |",
            f"| the run's end | {med([e for _, e in warm])} | {med([e for _, e in cold])} |",
            "",
            f"How they started: {', '.join(sorted(set(kinds)))}. Target: under 0.5 s to the "
            "result on 2 cores while other suites run. The demo's test fixtures sleep about 35 ms "
            "of that on purpose (`simulated_cost`).",
            "",
        ]
    )
    print(text)
    if args.write:
        replace_section(SECTION, text)


if __name__ == "__main__":
    main()
