"""Memory: zenboard's own peak RSS in a large headless run, and the dashboard holding 100,000
finished tests.

  headless   `zenboard run --ci` on a generated project of N quick tests under `-n 2`; the
             peak RSS (VmHWM) of zenboard's own process, read by an exit handler inside it
             (pytest's controller and workers are other processes, measured apart from wait4).
  dashboard  the real App (`run_test`, 160x45) fed N finished tests through the real channel
             decoder and EventBuffer, their lines made from a captured real run's (each test
             its own node id and pytest-json-report record, 2 % failing); peak RSS after the
             last result is folded and drawn.

Usage: python bench/bench_memory.py [--headless-tests 20000] [--dashboard-tests 100000]
       [--only headless|dashboard] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from perfdoc import replace_section

SECTION = "## Memory: a large headless run and a full dashboard (bench/bench_memory.py)"
EARLIER = (
    "Before records were kept as text and the report file read a record at a time "
    "(2026-12-01, this bench): zenboard's own process peaked at **158.8 MB** in the headless "
    "run (54 MB before it read pytest's 12 MB report file whole, 114 MB after), and the "
    "dashboard at **361.0 MB**. The figure the work started from, on another project of "
    "20,000 tests: 98.6 MB, beside a 238 MB pytest controller."
)


def peak_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def make_project(root: Path, tests: int, per_file: int = 500) -> None:
    body = "import pytest\n\n\n@pytest.mark.parametrize('n', range({n}))\ndef test_quick(n):\n"
    body += "    assert n % 1000 != 999, 'one failure in a thousand'\n"
    for index in range(max(1, tests // per_file)):
        (root / f"test_many_{index:03d}.py").write_text(body.format(n=per_file))
    (root / "pyproject.toml").write_text(
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "many"\nworkers = 2\n'
    )


def headless(tests: int) -> dict[str, float]:
    """`zenboard run --ci` on `tests` quick tests; zenboard's own VmHWM and pytest's peak."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, tests)
        peak_file = root / "peak.txt"
        code = (
            "import atexit, sys\n"
            "def _peak():\n"
            "    with open('/proc/self/status') as s:\n"
            "        kb = next(int(l.split()[1]) for l in s if l.startswith('VmHWM:'))\n"
            f"    open({str(peak_file)!r}, 'w').write(str(kb))\n"
            "atexit.register(_peak)\n"
            "from zenboard.cli import entry_point\n"
            "sys.argv = ['zenboard', 'run', '--ci', '--report-dir', 'reports']\n"
            "entry_point()\n"
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        summary = json.loads((root / "reports" / "summary.json").read_text())
        rows = len(summary["suites"][0]["tests"]) if "suites" in summary else 0
        return {
            "zenboard_mb": int(peak_file.read_text()) / 1024,
            "largest_mb": usage.ru_maxrss / 1024,
            "seconds": wall,
            "exit": os.waitstatus_to_exitcode(status),
            "rows": rows,
        }


def captured_lines() -> tuple[bytes, bytes, bytes]:
    """One passed and one failed test_finished line of a real run, and a test_started line."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_ingest import capture
    from bench_ingest import make_project as make_ingest_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_ingest_project(root, 250)
        lines = b"".join(capture(root)).split(b"\n")
    finished = [line for line in lines if b'"type": "test_finished"' in line]
    passed = next(line for line in finished if b'"outcome": "passed"' in line)
    failed = next(line for line in finished if b'"outcome": "failed"' in line)
    started = next(line for line in lines if b'"type": "test_started"' in line)
    return passed, failed, started


def dashboard_lines(tests: int, batch: int) -> Iterator[bytes]:
    """Chunks of wire lines for `tests` tests over four lanes, each with its own node id."""
    passed, failed, started = captured_lines()
    templates = []
    for line in (passed, failed, started):
        nodeid = json.loads(line)["nodeid"].encode()
        templates.append(line.replace(nodeid, b"@ID@").replace(b'"gw0"', b'"@W@"'))
    chunk: list[bytes] = []
    for n in range(tests):
        nodeid = f"tests/test_area_{n // 500:03d}.py::test_case[{n}]".encode()
        worker = f'"gw{n % 4}"'.encode()
        finished = templates[1] if n % 50 == 7 else templates[0]
        for template in (templates[2], finished):
            chunk.append(template.replace(b"@ID@", nodeid).replace(b'"@W@"', worker))
        if len(chunk) >= 2 * batch:
            yield b"\n".join(chunk) + b"\n"
            chunk = []
    if chunk:
        yield b"\n".join(chunk) + b"\n"


async def drive_dashboard(tests: int) -> dict[str, float]:
    from zenboard.config import load_config
    from zenboard.engine.channel import LineDecoder
    from zenboard.model import events as ev
    from zenboard.ui.app import ZenboardApp
    from zenboard.ui.session import Session

    root = Path(tempfile.mkdtemp(prefix="zenboard-bench-")) / "bench"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "many"\nworkers = 4\n'
    )
    session = Session(load_config(root), report_dir=root / "reports", task="bench")
    app = ZenboardApp(session, run_at_start=False)
    before = peak_kib()
    start = time.perf_counter()
    async with app.run_test(size=(160, 45)) as pilot:
        now = time.time()
        session.buffer.extend(
            [ev.SuiteLaunched("many", ("pytest",), 1, now), ev.RunStarted("many", 4)]
            + [ev.WorkerCollected("many", f"gw{w}", tests) for w in range(4)]
        )
        decoder = LineDecoder("many")
        for chunk in dashboard_lines(tests, 2000):
            session.buffer.extend(decoder.feed(chunk, time.time()))
            await pilot.pause(0.05)
        while session.state.suites["many"].done < tests:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        folded = session.state.suites["many"].done
    return {
        "dashboard_mb": peak_kib() / 1024,
        "before_mb": before / 1024,
        "folded": folded,
        "seconds": time.perf_counter() - start,
    }


def dashboard(tests: int) -> dict[str, float]:
    """In a fresh interpreter, so nothing else this bench did counts in the peak."""
    code = (
        "import asyncio, json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "import bench_memory\n"
        f"print(json.dumps(asyncio.run(bench_memory.drive_dashboard({tests}))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headless-tests", type=int, default=20_000)
    parser.add_argument("--dashboard-tests", type=int, default=100_000)
    parser.add_argument("--only", choices=("headless", "dashboard"))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    loads = [load_average()]
    if args.only != "dashboard":
        results["headless"] = headless(args.headless_tests)
        loads.append(load_average())
        print("headless:", results["headless"], "load", loads[-1], flush=True)
    if args.only != "headless":
        results["dashboard"] = dashboard(args.dashboard_tests)
        loads.append(load_average())
        print("dashboard:", results["dashboard"], "load", loads[-1], flush=True)
    if args.write_docs:
        write_docs(results, args, loads)


def write_docs(
    results: dict[str, dict[str, float]], args: argparse.Namespace, loads: list[str]
) -> None:
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min) "
        + "; then ".join(loads)
        + ". Rerun: `python bench/bench_memory.py --write-docs`.",
        "",
    ]
    if "headless" in results:
        h = results["headless"]
        lines.append(
            f"- `zenboard run --ci`, {args.headless_tests:,} quick tests under `-n 2` "
            f"({h['seconds']:.0f} s, exit {h['exit']:.0f}): zenboard's own process peaked at "
            f"**{h['zenboard_mb']:.1f} MB** (target under 80 MB); the largest process of the "
            f"run (pytest's controller) at {h['largest_mb']:.0f} MB."
        )
    if "dashboard" in results:
        d = results["dashboard"]
        lines.append(
            f"- The dashboard (`App.run_test`, 160x45) holding {d['folded']:,.0f} finished "
            f"tests, fed through the channel's decoder and the EventBuffer: peak "
            f"**{d['dashboard_mb']:.1f} MB** (target under 250 MB; {d['before_mb']:.0f} MB "
            f"before the app started, {d['seconds']:.0f} s to fold and draw them all)."
        )
    lines += [f"- {EARLIER}", ""]
    print(f"wrote {replace_section(SECTION, chr(10).join(lines))}")


if __name__ == "__main__":
    main()
