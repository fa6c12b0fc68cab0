"""Benchmark: watch mode's latency from a saved file to a rerun, against pytest-watcher.

    .venv/bin/python bench/bench_watch.py            # print the figures
    .venv/bin/python bench/bench_watch.py --write    # also update docs/performance.md

On a copy of the demo project, the same edit (a line appended to `gradebook/ocr.py`, which the
unit-fast and processing suites' tests import) is made 10 times, each after the previous rerun
has ended. For zenboard (`HeadlessWatch` in this process, default 100 ms quiet window) it
measures, from just before the write:
- to the first affected suite's process starting (the engine's `SuiteLaunched` time, taken
  right after the process was spawned), and
- to the first test result reaching zenboard's model.
For pytest-watcher (default delay, in its own throwaway venv under /tmp with `watchdog<5`) the
same two moments: its runner is a shell script that notes the time and execs pytest, and a tiny
plugin notes the time of the first test result.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.commands.demo import copy_demo  # noqa: E402
from zenboard.config import load_config  # noqa: E402
from zenboard.engine.warm import wait_ready  # noqa: E402
from zenboard.headless.run import RunOptions  # noqa: E402
from zenboard.headless.watch import HeadlessWatch  # noqa: E402
from zenboard.model import events as ev  # noqa: E402
from zenboard.watch.session import WatchTrigger  # noqa: E402
from zenboard.watch.settings import load_watch_settings  # noqa: E402

SECTION = "## Watch mode latency (bench/bench_watch.py)"
EDITED = "gradebook/ocr.py"
REPEATS = 10
AFFECTED = ("unit-fast", "processing")
"""The suites whose tests import EDITED: their warm servers must be up before the first edit."""
PTW_VENV = Path(tempfile.gettempdir()) / "zenboard-bench-ptw-venv"
WAIT = 300.0
WHERE_THE_TIME_GOES = (
    "Where the time goes. zenboard's start is the watcher's 10 ms step (a leading-edge batch: "
    "the first change after a quiet spell is handed over once the watcher saw nothing more for "
    "a step; the 100 ms quiet window only gathers what follows it), the filesystem event's own "
    "delivery, `git check-ignore` and the mapping (a few ms), and the fork of the suite's warm "
    "pytest. From the fork to the first result is what pytest does per run even warm: parse "
    "the options, register the plugins' hooks (about 40 ms here), import the conftest and the "
    "changed test file, collect, run the first test (the demo's fixtures sleep 35 ms). "
    "pytest-watcher 0.6.3 builds its `Trigger()` without the configured delay (`--delay`, "
    "default 0.2 s, is parsed but not applied), so it starts pytest at its next 100 ms loop "
    "tick after the first event, then pays the interpreter's and pytest's whole start."
)
EARLIER = (
    "Earlier figures, 2026-11-25, before warm reruns and the leading edge (100 ms quiet window, "
    "a cold pytest per phase; load 0.5 to 1.6): start 183 ms, first result **613 ms**, against "
    "pytest-watcher's 36 ms and 587 ms."
)

FIRST_RESULT_PLUGIN = """
import os, time
_seen = False
def pytest_runtest_logreport(report):
    global _seen
    if not _seen and report.when == "call":
        _seen = True
        with open(os.environ["BENCH_MARKS"], "a") as f:
            f.write(f"first {time.time()}\\n")
def pytest_sessionfinish(session):
    with open(os.environ["BENCH_MARKS"], "a") as f:
        f.write(f"end {time.time()}\\n")
"""


def wait_until(what: str, done: object) -> None:
    deadline = time.monotonic() + WAIT
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.01)


def edit(project: Path, k: int) -> float:
    path = project / EDITED
    text = path.read_text()
    started = time.time()
    path.write_text(text + f"\n# edit {k}\n")
    return started


class ZenboardSide:
    """`HeadlessWatch` on one copy of the demo, in a thread of this process."""

    def __init__(self, project: Path) -> None:
        self.project = project
        config = load_config(project)
        self.timeline: list[tuple[float, object]] = []
        self.sink = open(os.devnull, "w")  # noqa: SIM115 (open for the whole session)
        # Only the suites the edit reruns: the demo's services (Docker) and e2e (Node) suites
        # would make the bench depend on what this machine has, for nothing it measures.
        watched = tuple(s for s in config.suites if s.name in AFFECTED)
        self.watch = HeadlessWatch(
            config,
            watched,
            load_watch_settings(config),
            RunOptions(ci=True, out=self.sink),
            on_event=lambda item: self.timeline.append((time.time(), item)),
        )
        self.thread = threading.Thread(target=self.watch.run, daemon=True)
        self.thread.start()
        assert self.watch.wait_ready(), "watcher never armed"
        names = set(AFFECTED)
        wait_until(
            "the first runs",
            lambda: {i.suite for _, i in self.timeline if isinstance(i, ev.SuiteExited)} >= names,
        )
        pool = self.watch.view.engine.warm
        assert pool is not None, "watch mode runs with warm reruns"
        for name in AFFECTED:  # started as each first run ended: wait for their imports
            wait_until(f"{name}'s warm server", lambda s=name: wait_ready(pool, s, 0.1))
        self.suites: tuple[str, ...] = ()
        self.triggered: list[float] = []
        """From the write to the batch's hand-over (the watcher's part), per edit."""
        self.starts: list[str] = []
        """How each measured rerun's first phase started ("warm", or why cold)."""

    def measure(self, k: int) -> tuple[float, float]:
        timeline = self.timeline
        mark = len(timeline)
        written = edit(self.project, k)
        wait_until(
            "a trigger", lambda: any(isinstance(i, WatchTrigger) for _, i in timeline[mark:])
        )
        trigger = next(i for _, i in timeline[mark:] if isinstance(i, WatchTrigger))
        phases = sum(len(p.phases) for p in trigger.plan)
        self.suites = trigger.suites
        self.triggered.append((trigger.at - written) * 1000)
        wait_until(
            "the reruns",
            lambda: sum(isinstance(i, ev.SuiteExited) for _, i in timeline[mark:]) >= phases,
        )
        launches = [i for _, i in timeline[mark:] if isinstance(i, ev.SuiteLaunched)]
        self.starts += [i.start for i in launches if i.nodeids and i.start]
        launched = min(i.time for i in launches)
        first = min(t for t, i in timeline[mark:] if isinstance(i, ev.TestFinished))
        return (launched - written) * 1000, (first - written) * 1000

    def close(self) -> None:
        self.watch.stop()
        self.thread.join(60)
        self.sink.close()


def ptw_venv() -> Path:
    python = PTW_VENV / "bin" / "python"
    if not (PTW_VENV / "bin" / "ptw").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PTW_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pytest-watcher", "watchdog<5", "pytest<9"],
            check=True,
        )
    return PTW_VENV


def ptw_version(venv: Path) -> str:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "show", "pytest-watcher", "watchdog"],
        capture_output=True,
        text=True,
        check=False,
    )
    versions = [
        line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Version:")
    ]
    return (
        f"pytest-watcher {versions[0]}, watchdog {versions[1]}"
        if len(versions) == 2
        else "pytest-watcher"
    )


class PtwSide:
    """pytest-watcher (default delay) on another copy of the demo, as a user would start it."""

    def __init__(self, project: Path, venv: Path) -> None:
        self.project = project
        self.scratch = Path(tempfile.mkdtemp(prefix="zenboard-bench-ptw-"))
        self.marks = self.scratch / "marks"
        self.marks.write_text("")
        (self.scratch / "bench_first_result.py").write_text(FIRST_RESULT_PLUGIN)
        runner = self.scratch / "runner.sh"
        runner.write_text(
            f'#!/bin/sh\necho "start $(date +%s.%N)" >> {self.marks}\nexec {venv}/bin/python -m pytest "$@"\n'
        )
        runner.chmod(0o755)
        env = {
            **os.environ,
            "BENCH_MARKS": str(self.marks),
            "PYTHONPATH": f"{self.scratch}{os.pathsep}{ROOT}",
        }
        self.child = subprocess.Popen(
            [
                str(venv / "bin" / "ptw"),
                "--runner",
                str(runner),
                ".",
                "-p",
                "bench_first_result",
                "-p",
                "no:cacheprovider",
                "-q",
            ],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(2.0)  # pytest-watcher has no "ready" signal: give its observer time to arm

    def marks_of(self, kind: str) -> list[float]:
        return [
            float(line.split()[1])
            for line in self.marks.read_text().splitlines()
            if line.startswith(kind + " ")
        ]

    def measure(self, k: int) -> tuple[float, float]:
        ends = len(self.marks_of("end"))
        starts = len(self.marks_of("start"))
        written = edit(self.project, k)
        wait_until("pytest-watcher's run", lambda: len(self.marks_of("end")) > ends)
        start = self.marks_of("start")[starts]
        first = next(t for t in self.marks_of("first") if t >= start)
        time.sleep(0.5)  # let its delay window close before the next edit
        return (start - written) * 1000, (first - written) * 1000

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.child.pid, signal.SIGTERM)
        self.child.wait(10)
        shutil.rmtree(self.scratch, ignore_errors=True)


def ratio_line(zen: list[float], ptw: list[float]) -> str:
    """zenboard over pytest-watcher, first result: the ratio of medians and the pairwise ones."""
    if not zen or not ptw:
        return "pytest-watcher not measured: no ratio."
    pairs = sorted(z / p for z, p in zip(zen, ptw, strict=False))
    return (
        f"zenboard / pytest-watcher, first result: **{statistics.median(zen) / statistics.median(ptw):.2f}**"
        f" (ratio of medians); edit by edit {statistics.median(pairs):.2f} median,"
        f" {pairs[0]:.2f} to {pairs[-1]:.2f}."
    )


def starts_note(starts: list[str]) -> str:
    counts: dict[str, int] = {}
    for start in starts:
        counts[start] = counts.get(start, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "none recorded"


def load_note() -> str:
    try:
        load1, load5, _ = os.getloadavg()
    except OSError:
        return ""
    return f"load average {load1:.1f} (1 min) / {load5:.1f} (5 min) on {os.cpu_count()} cores at the end"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--skip-ptw", action="store_true", help="measure zenboard only")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="zenboard-bench-watch-"))
    loads: list[float] = []
    z_start: list[float] = []
    z_result: list[float] = []
    p_start: list[float] = []
    p_result: list[float] = []
    zen = ZenboardSide(copy_demo(base / "zenboard"))
    ptw = None
    who = "not measured"
    try:
        if not args.skip_ptw:
            venv = ptw_venv()
            who = ptw_version(venv)
            ptw = PtwSide(copy_demo(base / "ptw"), venv)
        for k in range(REPEATS):  # interleaved, so both see the same load on the machine
            loads.append(os.getloadavg()[0])
            start, result = zen.measure(k)
            z_start.append(start)
            z_result.append(result)
            print(
                f"zenboard edit {k}: start {start:.0f} ms, first result {result:.0f} ms", flush=True
            )
            if ptw is not None:
                start, result = ptw.measure(k)
                p_start.append(start)
                p_result.append(result)
                print(
                    f"pytest-watcher edit {k}: start {start:.0f} ms, first result {result:.0f} ms",
                    flush=True,
                )
    finally:
        zen.close()
        if ptw is not None:
            ptw.close()

    def med(values: list[float]) -> str:
        return (
            f"{statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"
            if values
            else "-"
        )

    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on two copies of the demo project (`copy_demo`): zenboard "
        f"watching one, pytest-watcher the other, the same edit (a line appended to `{EDITED}`, whose "
        f"tests are in the suites {', '.join(zen.suites)}) made {REPEATS} times on each, alternately, each "
        f"after the previous rerun ended. Reproduce with `.venv/bin/python bench/bench_watch.py --write`. "
        f"Load average {min(loads):.1f} to {max(loads):.1f} on the 2 cores during the measurements"
        + (
            " (other work was running: absolute figures are pessimistic)."
            if max(loads) > 2
            else "."
        ),
        "",
        "| from the write to ... (median of 10) | zenboard watch (defaults: warm, leading edge) | pytest-watcher (default delay) |",
        "|---|---|---|",
        f"| the batch handed over (zenboard's watcher) | {med(zen.triggered)} | - |",
        f"| the affected suite's process starting | **{med(z_start)}** | {med(p_start)} |",
        f"| the first test result | **{med(z_result)}** | {med(p_result)} |",
        "",
        ratio_line(z_result, p_result),
        "",
        f"How the first phases started: {starts_note(zen.starts)}.",
        "",
        f"Targets: the first result within 150 ms (median) and within 0.3 x pytest-watcher's. zenboard's \"start\" is the "
        f"engine's `SuiteLaunched` time (right after the fork), its first result the moment the "
        f"result reached the model. pytest-watcher ({who}, in a separate venv) runs the project's "
        f"whole test directory in one plain pytest process without plugins; its start is noted by the "
        f"runner script it executes, its first result by a plugin. zenboard reruns "
        f"{len(zen.suites)} suites at once, each first the failed and affected tests without xdist "
        f"(with the zenboard, xdist and json-report plugins loaded), then the rest with the suite's workers.",
        "",
        WHERE_THE_TIME_GOES,
        "",
        EARLIER,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_section(SECTION, text)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
