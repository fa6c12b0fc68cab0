"""Benchmark: a container's health flip to the dashboard, and a log line to the logs screen.

    .venv/bin/python bench/bench_service_events.py            # print the figures
    .venv/bin/python bench/bench_service_events.py --write    # also update docs/performance.md

1. Health flip: a busybox container whose health check tests a file; the file is removed and
   put back in turn. From the daemon's `health_status` event (its own nanosecond timestamp, as
   recorded in the watcher's event log: what a failure's window is checked against) to the
   dashboard's containers panel showing the new health (a real `ZenboardApp` on a task project,
   run headless by Textual's Pilot).
2. Log line: a container prints a line every 50 ms; from Docker's timestamp of each line to the
   logs screen receiving it (`LogLines.add`, the batch a 0.1 s timer takes).
Needs Docker (`bash scripts/docker-up.sh`); without it, a note says so.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.tasks.container_logs import LogFollower, LogLine  # noqa: E402
from zenboard.tasks.identity import compose_project_name  # noqa: E402
from zenboard.ui.launcher import make_app  # noqa: E402
from zenboard.ui.screens.logs import LogLines, LogsScreen  # noqa: E402

SECTION = (
    "## Services beside failures: health flip and log line latency (bench/bench_service_events.py)"
)


def _docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()


async def _until(pilot: object, condition: object, deadline: float = 60.0) -> bool:
    end = time.monotonic() + deadline
    while not condition():  # type: ignore[operator]
        if time.monotonic() > end:
            return False
        await pilot.pause(0.005)  # type: ignore[attr-defined]
    return True


async def bench(image: str, flips: int, lines_wanted: int) -> list[str]:
    task = f"zbbench-{uuid.uuid4().hex[:8]}"
    project = Path(tempfile.mkdtemp()) / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (project / "pyproject.toml").write_text(
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "unit"\nworkers = 0\n\n'
        "[tool.zenboard.ports]\nservices = { db = 5432 }\n"
    )
    label = f"com.docker.compose.project={compose_project_name(task)}"
    db = _docker(
        "run", "-d", "--label", label, "--label", "com.docker.compose.service=db",
        "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "1",
        image, "sleep", "600",
    )  # fmt: skip
    talker = _docker(
        "run", "-d", "--label", label, "--label", "com.docker.compose.service=talker",
        image, "sh", "-c", "i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.05; done",
    )  # fmt: skip
    shown: list[tuple[str, float]] = []  # (health, when the panel showed it)
    flip_ms: list[float] = []
    line_ms: list[float] = []
    try:
        app = make_app(project, run_at_start=False, task=task)
        panel_show = app.containers_panel.show

        def show(snap: object) -> None:
            panel_show(snap)  # type: ignore[arg-type]
            for row in snap.containers:  # type: ignore[attr-defined]
                if row.service == "db" and (not shown or shown[-1][0] != row.health):
                    shown.append((row.health, time.time()))

        app.containers_panel.show = show  # type: ignore[method-assign]
        async with app.run_test(size=(160, 45)) as pilot:
            watcher = app.infra.watcher  # type: ignore[attr-defined]
            if not await _until(pilot, lambda: shown and shown[-1][0] == "unhealthy"):
                return ["- Health flip: the first state never showed."]
            want = "unhealthy"
            for _ in range(flips):
                want = "healthy" if want == "unhealthy" else "unhealthy"
                _docker("exec", db, "touch" if want == "healthy" else "rm", "/tmp/ok")
                if not await _until(pilot, lambda w=want: shown[-1][0] == w):
                    return [f"- Health flip: {want} never showed."]
                seen = shown[-1][1]
                events = [
                    e for e in watcher.events.between(seen - 30, seen)
                    if e.action == "health_status" and e.detail == want
                ]  # fmt: skip
                flip_ms.append((seen - events[-1].time) * 1000)

            arrived: list[tuple[LogLine, float]] = []
            add = LogLines.add

            def timed_add(self: LogLines, lines: list[LogLine]) -> None:
                now = time.time()
                arrived.extend((line, now) for line in lines)
                add(self, lines)

            LogLines.add = timed_add  # type: ignore[method-assign]
            try:
                await app.push_screen(LogsScreen("talker", LogFollower(talker, tail=0)))
                await _until(pilot, lambda: len(arrived) >= lines_wanted, 120)
                await app.pop_screen()
            finally:
                LogLines.add = add  # type: ignore[method-assign]
            line_ms = [(now - line.time) * 1000 for line, now in arrived if line.time]
    finally:
        _docker("rm", "-f", db, talker)
    return [
        f"- Health flip, from the daemon's `health_status` event to the dashboard's containers "
        f"panel showing it: **{statistics.median(flip_ms):.0f} ms median**, "
        f"{max(flip_ms):.0f} ms max over {len(flip_ms)} flips (the panel is polled every 0.5 s: "
        f"that poll is most of it; the event reaches the watcher's log in ~15 ms, "
        f"bench_ports.py). The same event is what a failure's window is checked against.",
        f"- Log line, from Docker's timestamp to the logs screen: **{statistics.median(line_ms):.0f}"
        f" ms median**, {max(line_ms):.0f} ms max over {len(line_ms)} lines (one every 50 ms; "
        f"taken in batches every 0.1 s).",
    ]


def update_doc(lines: list[str]) -> Path:
    body = (
        f"{SECTION}\n\nMeasured {time.strftime('%Y-%m-%d')} on the 2-core CI machine kind, while "
        "other work ran on it. Reproduce with "
        "`.venv/bin/python bench/bench_service_events.py --write`.\n\n" + "\n".join(lines) + "\n"
    )
    return replace_section(SECTION, body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--flips", type=int, default=6)
    parser.add_argument("--lines", type=int, default=100)
    args = parser.parse_args()
    try:
        image = subprocess.run(
            ["bash", str(ROOT / "scripts" / "docker-up.sh")],
            capture_output=True, text=True, check=True, timeout=900,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
    except (subprocess.CalledProcessError, OSError) as exc:
        lines = [f"- Not measured (no Docker engine: {exc})."]
    else:
        lines = asyncio.run(bench(image, args.flips, args.lines))
    print("\n".join(lines))
    if args.write:
        print(f"wrote {update_doc(lines)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
