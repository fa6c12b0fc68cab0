"""Ingest: decoding and folding a real run's event stream, against the `json.loads` floor.

Captures the stream of a real run (zenboard's pytest plugin under `-n 2`, with full
pytest-json-report records, some tests failing, some skipped) from the plugin's pipe, then, in
this one process, alternates two timings over the same bytes, N rounds each:

  floor  = `json.loads` of every line (what any decoding costs at the least)
  ingest = the engine's `LineDecoder` over the captured chunks, arrival stamps, and
           `reducer.apply` of every event into a fresh `RunState`

ratio = floor / ingest (1.0: zenboard decodes and folds as fast as `json.loads` alone reads).

Usage: python bench/bench_ingest.py [--tests 5000] [--rounds 15] [--write-docs]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from perfdoc import replace_section

from zenboard.engine.channel import READ_CHUNK, LineDecoder
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.wire import ENV_EVENTS

SECTION = "## Ingest: decoding and folding the event stream (bench/bench_ingest.py)"
SUITE = "gen"
EARLIER = (
    "Before records were kept as text (2026-12-01, this bench on the same machine): **0.35** "
    "of the floor at load 0.26, 0.28 at load 6.9 (the decoder built every record, stamped "
    "arrival with `dataclasses.replace`, and `json.loads` wrapped each line). The figure the "
    "work started from: about 80,000 events/s against a floor of about 170,000/s, 0.47."
)

TEST_FILE = """\
import pytest


@pytest.mark.parametrize("n", range({per_file}))
def test_value(n):
    if n % 50 == 7:
        assert n == -1, "a failure every 50 tests"
    if n % 40 == 3:
        pytest.skip("a skip every 40 tests")
"""


def make_project(root: Path, tests: int) -> None:
    per_file = 250
    for index in range(max(1, tests // per_file)):
        (root / f"test_gen_{index:03d}.py").write_text(TEST_FILE.format(per_file=per_file))
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = ''\n")


def capture(root: Path) -> list[bytes]:
    """Run pytest with zenboard's plugin on a pipe of ours; return the chunks as read."""
    read_fd, write_fd = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        while chunk := os.read(read_fd, READ_CHUNK):
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    argv += ["--json-report", f"--json-report-file={root / 'report.json'}"]
    argv += ["--json-report-omit=log"]
    env = {**os.environ, ENV_EVENTS: f"fd:{write_fd}:{os.getpid()}"}
    subprocess.run(
        argv,
        cwd=root,
        env=env,
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    os.close(write_fd)
    reader.join()
    os.close(read_fd)
    return chunks


def floor(lines: list[bytes]) -> float:
    start = time.perf_counter()
    loads = json.loads
    for line in lines:
        loads(line)
    return time.perf_counter() - start


def ingest(chunks: list[bytes]) -> tuple[float, RunState]:
    state = RunState.for_suites([SUITE])
    start = time.perf_counter()
    decoder = LineDecoder(SUITE)
    for chunk in chunks:
        for event in decoder.feed(chunk, time.time()):
            apply(state, event)
    decoder.finish()
    return time.perf_counter() - start, state


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.tests)
        chunks = capture(root)
    lines = [line for line in b"".join(chunks).split(b"\n") if line.strip()]
    finished = sum(1 for line in lines if b'"type": "test_finished"' in line)
    size = sum(len(line) for line in lines)
    _, state = ingest(chunks)
    counts = state.suites[SUITE].counts
    print(f"captured {len(lines)} lines ({finished} results, {size / 1e6:.1f} MB); {counts}")
    loads_before = os.getloadavg()[0]
    floors: list[float] = []
    ingests: list[float] = []
    gc.collect()
    for index in range(args.rounds):
        # Alternate which goes first, so drift on the machine meets both alike.
        if index % 2:
            floors.append(floor(lines))
            ingests.append(ingest(chunks)[0])
        else:
            ingests.append(ingest(chunks)[0])
            floors.append(floor(lines))
    ratios = sorted(f / i for f, i in zip(floors, ingests, strict=True))
    ratio = statistics.median(ratios)
    floor_rate = len(lines) / statistics.median(floors)
    ingest_rate = len(lines) / statistics.median(ingests)
    load = f"{loads_before:.2f} before, {load_average()} (1, 5, 15 min) after"
    print(f"floor  json.loads: {floor_rate:,.0f} events/s")
    print(f"ingest decode+fold: {ingest_rate:,.0f} events/s")
    print(f"ratio (median of {args.rounds} per-round ratios): {ratio:.2f}")
    print(f"load average: {load}")
    if not args.write_docs:
        return
    text = "\n".join(
        [
            SECTION,
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} "
            f"cores, Python {platform.python_version()}; load average {load}. "
            f"A real run of {finished:,} tests (`-n 2`, 2 % failing, 2.5 % skipped, full "
            f"pytest-json-report records) captured from the plugin's pipe: {len(lines):,} lines, "
            f"{size / 1e6:.1f} MB. {args.rounds} alternating rounds over the same bytes in one "
            "process. Rerun: `python bench/bench_ingest.py --write-docs`.",
            "",
            "| path | events/s (median) |",
            "|---|---|",
            f"| `json.loads` of every line (the floor) | {floor_rate:,.0f} |",
            f"| decode and fold (`LineDecoder`, arrival stamps, `reducer.apply`) | "
            f"{ingest_rate:,.0f} |",
            "",
            f"- decode and fold / floor: **{ratio:.2f}** (median of the per-round ratios; "
            f"sorted: {', '.join(f'{r:.2f}' for r in ratios)}; target at least 0.8)",
            f"- {EARLIER}",
            "",
        ]
    )
    print(f"wrote {replace_section(SECTION, text)}")


if __name__ == "__main__":
    main()
