"""Benchmark: `zenboard up` to all healthy, against `docker compose up --wait` alone.

    .venv/bin/python bench/bench_compose_up.py            # print the figures
    .venv/bin/python bench/bench_compose_up.py --write    # also update docs/performance.md

A throwaway task project holds a compose file of two services from the local busybox image:
`web` (httpd, healthy at its first check) and `db` (healthy once it made a file, 2 s after it
starts), both checked every second. Each pair runs, in turn, A: `zenboard up` (its checks,
`.env.task`, the override, `compose up -d`, then its own wait on Docker's events) and B:
Compose alone on the same files and variables, `docker compose -p ... -f ... -f override up
-d --wait`; each command is timed from its start to its exit (both exit once every service is
healthy), and each is followed by `down`, not timed. The order alternates (A B, B A, ...) so a
machine that drifts weighs on both; the ratio is taken pair by pair.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from perfdoc import replace_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zenboard.tasks.compose.discovery import find_compose  # noqa: E402

SECTION = "## Compose: `zenboard up` to healthy (bench/bench_compose_up.py)"
PAIRS = 7
COMPOSE = """
services:
  web:
    image: zenboard-busybox:latest
    pull_policy: never
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["8080:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 10
  db:
    image: zenboard-busybox:latest
    pull_policy: never
    init: true
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 2147483647"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
"""
PYPROJECT = """
[tool.zenboard]
[[tool.zenboard.suites]]
name = "unit"
workers = 0
[tool.zenboard.ports]
services = { web = 8080 }
"""


def _zenboard(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "zenboard", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-400:]}")
    return took


def measure(pairs: int) -> dict[str, list[float]]:
    compose = find_compose()
    with tempfile.TemporaryDirectory(prefix="zb-bench-compose-") as tmp:
        project = Path(tmp)
        (project / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
        (project / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
        task = f"bench-up-{os.getpid()}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(project / "state")}
        zenboard_up = [sys.executable, "-m", "zenboard", "up", "--task", task]
        # Compose alone, on what `zenboard up` hands it: the files, the override, the variables.
        assert _zenboard(project, "ports", "--task", task).returncode == 0
        task_dir = project / ".zenflow" / "tasks" / task
        assert _zenboard(project, "up", "--task", task).returncode == 0  # writes the override
        assert _zenboard(project, "down", "--task", task).returncode == 0
        files = ["-f", "compose.yaml", "-f", str(task_dir / "docker-compose.zenflow.yml")]
        plain = [*compose.argv, "--env-file", str(task_dir / ".env.task"), "-p", task, *files]
        compose_up = [*plain, "up", "-d", "--wait"]
        compose_down = [*plain, "down", "--remove-orphans"]
        figures: dict[str, list[float]] = {
            key: [] for key in ("zenboard", "compose", "ratio", "zenboard-up", "compose-up")
        }
        try:
            for pair in range(pairs):
                order = ("zenboard", "compose") if pair % 2 == 0 else ("compose", "zenboard")
                took = {}
                for which in order:
                    argv = zenboard_up if which == "zenboard" else compose_up
                    took[which] = _timed(argv, project, env)
                    subprocess.run(compose_down, cwd=project, env=env, capture_output=True)
                figures["zenboard"].append(took["zenboard"])
                figures["compose"].append(took["compose"])
                figures["ratio"].append(took["zenboard"] / took["compose"])
            # Already up and healthy: what each costs when there is nothing to wait for.
            _timed(compose_up, project, env)
            for pair in range(pairs):
                order = ("zenboard", "compose") if pair % 2 == 0 else ("compose", "zenboard")
                for which in order:
                    argv = zenboard_up if which == "zenboard" else compose_up
                    figures[f"{which}-up"].append(_timed(argv, project, env))
        finally:
            subprocess.run(compose_down, cwd=project, env=env, capture_output=True)
    return figures


def report(figures: dict[str, list[float]], load: float) -> str:
    def row(name: str, values: list[float], unit: str = "s") -> str:
        fmt = (lambda v: f"{v:.2f} s") if unit == "s" else (lambda v: f"{v:.2f}")
        return (
            f"| {name} | {fmt(statistics.median(values))} | {fmt(min(values))} | "
            f"{fmt(max(values))} |"
        )

    date = datetime.now(UTC).strftime("%Y-%m-%d")
    pairs = len(figures["ratio"])
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {date}, {pairs} pairs on this 2-core machine shared with other work "
            f"(1-minute load average {load:.1f} at the start), dockerd 20.10, Compose "
            f"{find_compose().version}. Two services from the local busybox image, checked "
            "every second: `web` healthy at its first check, `db` 2 s after it starts. Each "
            "command from its start to its exit, which is when both are healthy; `down` after "
            "each, not timed; the order alternates pair by pair. Reproduce with "
            "`.venv/bin/python bench/bench_compose_up.py --write`.",
            "",
            "| command | median | min | max |",
            "|---|---|---|---|",
            row(
                "`zenboard up` (checks, `.env.task`, override, `up -d`, its wait)",
                figures["zenboard"],
            ),
            row("`docker compose ... up -d --wait` alone", figures["compose"]),
            row("ratio zenboard / compose, pair by pair", figures["ratio"], unit="x"),
            row("`zenboard up`, everything already up and healthy", figures["zenboard-up"]),
            row("`docker compose ... up -d --wait`, the same", figures["compose-up"]),
            "",
            "Both wait for the same thing, `db`'s first passing health check. zenboard pays its "
            "own start-up before `up -d` (Python, the configuration, the port claim and bind "
            "test, Compose's discovery and `config --services`, the override) and still ends "
            "first: it wakes on Docker's `health_status` event, while `--wait` costs Compose "
            "about a quarter to half a second more even with nothing to wait for (the last two "
            "rows: zenboard's `up` there includes a plain `compose up -d`).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    text = report(measure(args.pairs), load)
    print(text)
    if args.write:
        print(f"wrote {replace_section(SECTION, text)}")


if __name__ == "__main__":
    main()
