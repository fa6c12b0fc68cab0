"""Wall and CPU time of the demo's three suites running at once (`zenboard run --ci`).

    .venv/bin/python bench/bench_demo.py [--runs 5] [--no-autoload]

Copies the bundled demo once, then runs `zenboard run --ci --project <copy> unit-fast
integration processing` `--runs` times and prints each run's wall time, the CPU time of all
its processes, and the load average before it (other work on the machine skews wall time,
not CPU time). `--no-autoload` sets PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, so the suites load only
xdist, pytest-json-report and zenboard: what a user who installed zenboard alone gets, without
the development environment's extra pytest plugins. Results go in docs/demo.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zenboard.commands.demo import copy_demo

SUITES = ("unit-fast", "integration", "processing")


def one_run(project: Path, env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "zenboard", "run", "--ci", "--project", str(project), *SUITES],
        env=env,
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-autoload", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.no_autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    project = copy_demo(Path(tempfile.mkdtemp(prefix="zenboard-bench-demo-")) / "demo")
    walls, cpus = [], []
    for index in range(args.runs):
        load = os.getloadavg()[0]
        wall, cpu, code = one_run(project, env)
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"run {index + 1}: wall {wall:5.1f} s  cpu {cpu:5.1f} s  exit {code}  load before {load:4.1f}"
        )
    print(
        f"median: wall {statistics.median(walls):.1f} s, cpu {statistics.median(cpus):.1f} s "
        f"({os.cpu_count()} cores, autoload {'off' if args.no_autoload else 'on'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
