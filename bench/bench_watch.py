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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.commands.demo import copy_demo  # noqa: E402
from zenboard.config import load_config  # noqa: E402
from zenboard.headless_watch import HeadlessWatch  # noqa: E402
from zenboard.integrations.watch import WatchTrigger  # noqa: E402
from zenboard.integrations.watch_settings import load_watch_settings  # noqa: E402
from zenboard.model import events as ev  # noqa: E402

SECTION = "## Watch mode latency (bench/bench_watch.py)"
EDITED = "gradebook/ocr.py"
REPEATS = 10
PTW_VENV = Path(tempfile.gettempdir()) / "zenboard-bench-ptw-venv"
WAIT = 300.0

FIRST_RESULT_PLUGIN = '''
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
'''


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


def bench_zenboard(project: Path) -> tuple[list[float], list[float], int]:
    config = load_config(project)
    timeline: list[tuple[float, object]] = []
    sink = open(os.devnull, "w")  # noqa: SIM115 (open for the whole session)
    watch = HeadlessWatch(
        config, config.suites, load_watch_settings(config), ci=True, out=sink,
        on_event=lambda item: timeline.append((time.time(), item)),
    )
    thread = threading.Thread(target=watch.run, daemon=True)
    thread.start()
    assert watch.wait_ready(), "watcher never armed"
    names = [s.name for s in config.suites]
    exits = lambda: [i for _, i in timeline if isinstance(i, ev.SuiteExited)]  # noqa: E731
    wait_until("the first runs", lambda: {e.suite for e in exits()} >= set(names))
    to_start: list[float] = []
    to_result: list[float] = []
    reruns = 0
    try:
        for k in range(REPEATS):
            mark = len(timeline)
            written = edit(project, k)
            wait_until("a trigger", lambda m=mark: any(isinstance(i, WatchTrigger) for _, i in timeline[m:]))
            trigger = next(i for _, i in timeline[mark:] if isinstance(i, WatchTrigger))
            phases = sum(len(p.phases) for p in trigger.plan)
            reruns = len(trigger.suites)
            wait_until("the reruns", lambda m=mark, n=phases: sum(isinstance(i, ev.SuiteExited) for _, i in timeline[m:]) >= n)
            after = [i for _, i in timeline[mark:]]
            launched = min(i.time for i in after if isinstance(i, ev.SuiteLaunched))
            first = min(t for t, i in timeline[mark:] if isinstance(i, ev.TestFinished))
            to_start.append((launched - written) * 1000)
            to_result.append((first - written) * 1000)
            print(f"zenboard edit {k}: start {to_start[-1]:.0f} ms, first result {to_result[-1]:.0f} ms ({', '.join(trigger.suites)})", flush=True)
    finally:
        watch.stop()
        thread.join(60)
        sink.close()
    return to_start, to_result, reruns


def ptw_venv() -> Path:
    python = PTW_VENV / "bin" / "python"
    if not (PTW_VENV / "bin" / "ptw").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PTW_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest-watcher", "watchdog<5", "pytest<9"], check=True)
    return PTW_VENV


def ptw_version(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "show", "pytest-watcher", "watchdog"],
                          capture_output=True, text=True, check=False)
    versions = [line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Version:")]
    return f"pytest-watcher {versions[0]}, watchdog {versions[1]}" if len(versions) == 2 else "pytest-watcher"


def bench_ptw(project: Path, venv: Path) -> tuple[list[float], list[float]]:
    scratch = Path(tempfile.mkdtemp(prefix="zenboard-bench-ptw-"))
    marks = scratch / "marks"
    marks.write_text("")
    (scratch / "bench_first_result.py").write_text(FIRST_RESULT_PLUGIN)
    runner = scratch / "runner.sh"
    runner.write_text(f'#!/bin/sh\necho "start $(date +%s.%N)" >> {marks}\nexec {venv}/bin/python -m pytest "$@"\n')
    runner.chmod(0o755)
    env = {**os.environ, "BENCH_MARKS": str(marks), "PYTHONPATH": f"{scratch}{os.pathsep}{ROOT}"}
    child = subprocess.Popen(
        [str(venv / "bin" / "ptw"), "--runner", str(runner), ".", "-p", "bench_first_result", "-p", "no:cacheprovider", "-q"],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    to_start: list[float] = []
    to_result: list[float] = []

    def marks_of(kind: str) -> list[float]:
        return [float(line.split()[1]) for line in marks.read_text().splitlines() if line.startswith(kind + " ")]

    try:
        time.sleep(2.0)  # pytest-watcher has no "ready" signal: give its observer time to arm
        for k in range(REPEATS):
            ends = len(marks_of("end"))
            starts = len(marks_of("start"))
            written = edit(project, 100 + k)
            wait_until("pytest-watcher's run", lambda n=ends: len(marks_of("end")) > n)
            start = marks_of("start")[starts]
            first = next(t for t in marks_of("first") if t >= start)
            to_start.append((start - written) * 1000)
            to_result.append((first - written) * 1000)
            print(f"pytest-watcher edit {k}: start {to_start[-1]:.0f} ms, first result {to_result[-1]:.0f} ms", flush=True)
            time.sleep(0.5)  # let its debounce window close before the next edit
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    return to_start, to_result


def load_note() -> str:
    try:
        load1, load5, _ = os.getloadavg()
    except OSError:
        return ""
    return f"load average {load1:.1f} (1 min) / {load5:.1f} (5 min) on {os.cpu_count()} cores at the end"


def write_section(text: str) -> None:
    path = ROOT / "docs" / "performance.md"
    old = path.read_text() if path.exists() else "# Performance\n\nFigures measured on this machine.\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[nxt + 1 :] if nxt >= 0 else "")
    path.write_text(new if new.endswith("\n") else new + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--skip-ptw", action="store_true", help="measure zenboard only")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="zenboard-bench-watch-"))
    project = copy_demo(base / "demo")
    z_start, z_result, reruns = bench_zenboard(project)
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on the demo project (`copy_demo`), editing `{EDITED}` "
        f"(its tests are in {reruns} suites: unit-fast and processing), median of {REPEATS} edits, each after "
        f"the previous rerun ended. Reproduce with `.venv/bin/python bench/bench_watch.py --write`. "
        f"Other engineers' test runs shared the 2 cores while this ran ({load_note()}).",
        "",
        "| from the write to ... | zenboard watch (quiet 100 ms) | pytest-watcher (default delay) |",
        "|---|---|---|",
    ]
    if args.skip_ptw:
        p_start = p_result = []
        who = "not measured"
    else:
        venv = ptw_venv()
        who = ptw_version(venv)
        p_start, p_result = bench_ptw(project, venv)

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})" if values else "-"

    lines += [
        f"| the affected suite's process starting | **{med(z_start)}** | {med(p_start)} |",
        f"| its first test result | **{med(z_result)}** | {med(p_result)} |",
        "",
        f"Targets: under 200 ms to start, under 1 s to the first result. pytest-watcher: {who}, in a "
        f"separate venv; it reruns the whole project's tests in one pytest process. zenboard reruns "
        f"the two affected suites: first the failed and affected tests without xdist, then the rest "
        f"with the suite's workers.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(text)
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
