"""`zenboard launch --no-run` to the dashboard's first frame, in a real terminal.

    .venv/bin/python bench/bench_first_frame.py [--runs 10] [--write-docs]

Each run starts a tmux session of 160x45 whose shell waits on a `read`, then `exec`s zenboard on
a copy of the demo project; the driver sends the Enter that starts it and polls `capture-pane`
through one tmux control-mode client until the suites' cards are drawn (every suite's name on
screen inside a card border). The time between is one sample: Python's start, zenboard's
imports, the configuration, Textual's start and its first paint. The same is measured on a copy
of the demo with a large tests tree beside it (files zenboard must not read before that frame).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_ui_latency import Control, tmux
from perfdoc import replace_section

SESSION = "zenboard-first-frame"
ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "zenboard" / "demo" / "project"
SECTION = "## Dashboard: first frame of `zenboard launch --no-run`"
LARGE_TREE_FILES = 5_000


def demo_copy(large_tree: bool) -> tuple[Path, tuple[str, ...]]:
    """A fresh copy of the demo project (optionally with many more test files) and its suites."""
    from zenboard.config import load_config

    where = Path(tempfile.mkdtemp(prefix="zenboard-bench-")) / "demo"
    shutil.copytree(DEMO, where, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    if large_tree:
        bulk = where / "tests" / "bulk"
        for n in range(LARGE_TREE_FILES):
            folder = bulk / f"pkg{n // 100}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"test_bulk_{n}.py").write_text(
                "".join(f"def test_{k}():\n    assert {k} == {k}\n" for k in range(10))
            )
    return where, tuple(s.name for s in load_config(where).suites)


def first_frame_drawn(screen: str, suites: tuple[str, ...]) -> bool:
    return all(f"━ {s} " in screen or f"─ {s} " in screen for s in suites)


def cpu_ms(pid: int) -> float:
    """CPU time (user + system, every thread) `pid` has used so far, in ms (10 ms steps)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def bytecode(checkout: Path) -> Path:
    """Where `checkout`'s runs keep their compiled bytecode: as an installed zenboard has it,
    whatever PYTHONDONTWRITEBYTECODE says here, and without writing into the checkout."""
    where = (
        Path(tempfile.gettempdir())
        / "zenboard-bench-pyc"
        / str(checkout).strip("/").replace("/", "+")
    )
    where.mkdir(parents=True, exist_ok=True)
    return where


def one_run(project: Path, suites: tuple[str, ...], checkout: Path) -> tuple[float, float]:
    """Milliseconds from the Enter that execs zenboard to its first frame with every card, and
    the CPU time zenboard used until then (which the machine's load does not stretch)."""
    command = (  # the zenboard of `checkout` (tmux does not pass our env on)
        f"cd /; read go; exec env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX={bytecode(checkout)}"
        f" PYTHONPATH={checkout} {sys.executable} -m zenboard launch --no-run --project {project}"
    )
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "45", "sh", "-c", command)
    control = Control(SESSION)
    try:
        time.sleep(0.3)  # the shell is at its `read`
        pid = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}"))
        start = time.perf_counter()
        control.press("Enter")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if first_frame_drawn(control.screen(), suites):
                elapsed = (time.perf_counter() - start) * 1000
                used = cpu_ms(pid)  # sh exec'd env, env exec'd Python: one pid throughout
                break
            time.sleep(0.001)
        else:
            raise SystemExit("timed out waiting for the first frame")
        control.press("q")
        time.sleep(0.5)
    finally:
        control.close()
        tmux("kill-session", "-t", SESSION)
    return elapsed, used


def measure(runs: int, large_tree: bool, checkout: Path = ROOT) -> dict[str, float]:
    project, suites = demo_copy(large_tree)
    one_run(project, suites, checkout)  # warm-up: bytecode and page caches, as on a 2nd launch
    samples, cpu, loads = [], [], []
    for _ in range(runs):
        wall, used = one_run(project, suites, checkout)
        samples.append(wall)
        cpu.append(used)
        loads.append(os.getloadavg()[0])
    shutil.rmtree(project.parent, ignore_errors=True)
    return {
        "runs": runs,
        "min_ms": min(samples),
        "median_ms": statistics.median(samples),
        "max_ms": max(samples),
        "cpu_median_ms": statistics.median(cpu),
        "load_min": min(loads),
        "load_max": max(loads),
    }


def compare(runs: int, other: Path) -> dict[str, float]:
    """This checkout against `other` on one demo copy, alternating, so load drifts hit both."""
    project, suites = demo_copy(large_tree=False)
    one_run(project, suites, ROOT)
    one_run(project, suites, other)
    ours, theirs, loads = [], [], []
    for _ in range(runs):
        ours.append(one_run(project, suites, ROOT))
        theirs.append(one_run(project, suites, other))
        loads.append(os.getloadavg()[0])
    shutil.rmtree(project.parent, ignore_errors=True)
    return {
        "this_median_ms": statistics.median(w for w, _ in ours),
        "other_median_ms": statistics.median(w for w, _ in theirs),
        "median_ratio": statistics.median(a[0] / b[0] for a, b in zip(ours, theirs, strict=True)),
        "this_cpu_median_ms": statistics.median(c for _, c in ours),
        "other_cpu_median_ms": statistics.median(c for _, c in theirs),
        "load_min": min(loads),
        "load_max": max(loads),
    }


def write_docs(
    demo: dict[str, float], large: dict[str, float], ab: dict[str, float] | None = None
) -> None:
    def row(name: str, r: dict[str, float]) -> str:
        return (
            f"| {name} | {r['min_ms']:.0f} ms | {r['median_ms']:.0f} ms | {r['max_ms']:.0f} ms |"
            f" {r['cpu_median_ms']:.0f} ms | {r['load_min']:.1f} to {r['load_max']:.1f} |\n"
        )

    body = (
        f"{SECTION}\n\n"
        f"`bench/bench_first_frame.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared"
        " with other work, tmux 160x45, warm caches (one launch before the runs).\n"
        "From the Enter that starts `zenboard launch --no-run` to every suite's card on screen"
        f" (`tmux capture-pane`), {int(demo['runs'])} runs each; the load is the 1-minute load"
        " average during the runs. The CPU time zenboard used until that frame (all its threads,"
        " 10 ms steps) is what the load does not stretch:\n\n"
        "| project | min | median | max | CPU used, median | load |\n|---|---|---|---|---|---|\n"
        + row("the demo's copy", demo)
        + row(f"the demo plus {LARGE_TREE_FILES:,} test files", large)
        + "\nTarget: within 400 ms. Runs use compiled bytecode (kept in a temporary"
        " `PYTHONPYCACHEPREFIX`), as an installed zenboard has it: a checkout started with"
        " `PYTHONDONTWRITEBYTECODE=1` compiles every zenboard module on each start, over 100 ms"
        " more (measured 2026-12-01 at a load of 4 to 5: 443 ms against 316 ms).\n"
        + (
            f"\nBefore and after, run for run in turn on the demo's copy ({int(demo['runs'])}"
            f" pairs, load {ab['load_min']:.1f} to {ab['load_max']:.1f}): median"
            f" {ab['other_median_ms']:.0f} ms before, {ab['this_median_ms']:.0f} ms after"
            f" (after/before, median of the pairs: {ab['median_ratio']:.2f}); CPU time zenboard"
            f" used until then, median: {ab['other_cpu_median_ms']:.0f} ms before,"
            f" {ab['this_cpu_median_ms']:.0f} ms after.\n"
            if ab is not None
            else ""
        )
        + "\nRerun: `.venv/bin/python bench/bench_first_frame.py --write-docs` (with"
        " `--vs CHECKOUT`: the before/after line against another checkout).\n"
    )
    replace_section(SECTION, body)


def main() -> int:
    parser = argparse.ArgumentParser(description="`zenboard launch --no-run` to first frame")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument(
        "--vs",
        type=Path,
        metavar="CHECKOUT",
        help="also measure another zenboard checkout, run for run in turn (an A/B)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    ab = compare(args.runs, args.vs.resolve()) if args.vs is not None else None
    if ab is not None and not args.write_docs:
        print(json.dumps(ab, indent=2))
        return 0
    demo = measure(args.runs, large_tree=False)
    large = measure(args.runs, large_tree=True)
    print(json.dumps({"demo": demo, "large_tree": large, "vs": ab}, indent=2))
    if args.write_docs:
        write_docs(demo, large, ab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
