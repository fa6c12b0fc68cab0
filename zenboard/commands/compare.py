"""`zenboard compare`: the same tests sequentially and in parallel; differences explained.

Exit 0 only when both ways give the same outcomes and no test fails in either (a test that
fails alike both ways is no leak, but the suites are not sound); 1 otherwise; 2 on bad input.
"""

from __future__ import annotations

import argparse
import json

from zenboard.commands import add_timeout_arguments, timeouts_of

NAME = "compare"
HELP = (
    "run suites sequentially (-n 0) and in parallel: differing outcomes, leak or flaky, time saved"
)
WRITES = (
    "Writes the runs' reports below .zenboard/reports/compare/ and records every run in "
    ".zenboard/history.db. A Playwright suite claims a port per worker in the port registry "
    "(until its worktree is gone)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help="suites to compare (default: all)"
    )
    parser.add_argument(
        "--reruns",
        type=int,
        default=2,
        metavar="R",
        help="reruns of differing tests in each mode, to tell leaks from flakes (default 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_timeout_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config, with_timeouts
    from zenboard.errors import InputError
    from zenboard.headless.compare import compare
    from zenboard.textsafe import visible
    from zenboard.words import plural

    if args.reruns < 1:
        raise InputError(f"--reruns {args.reruns}: expected a whole number >= 1")
    config = with_timeouts(load_config(args.project), timeouts_of(args))
    chosen = config.select(args.suites)
    suites = tuple(s for s in chosen if s.kind == "pytest")
    for skipped in (s for s in chosen if s.kind != "pytest"):
        print(
            f"[{skipped.name}] not compared: only pytest suites can run without xdist", flush=True
        )
    result = compare(config, suites, args.reruns)
    if args.json:
        print(
            json.dumps(
                {
                    "identical": not result.differences,
                    "tests": result.tests,
                    "sequential_wall": round(result.sequential_wall, 3),
                    "parallel_wall": round(result.parallel_wall, 3),
                    "reduction_percent": round(result.reduction, 1),
                    "differences": [
                        {
                            "suite": d.suite,
                            "nodeid": d.nodeid,
                            "kind": d.kind,
                            "sequential": d.sequential,
                            "parallel": d.parallel,
                        }
                        for d in result.differences
                    ],
                    "failing": [
                        {"suite": s, "nodeid": n, "outcome": o} for s, n, o in result.failing
                    ],
                    "incomplete": result.incomplete,
                    "retried": [{"suite": s, "nodeid": n, "mode": m} for s, n, m in result.retried],
                },
                indent=2,
            )
        )
    else:
        print(
            f"sequential {result.sequential_wall:.1f}s, parallel {result.parallel_wall:.1f}s: "
            f"{result.time_saved()} ({plural(result.tests, 'test')})"
        )
        if not result.differences:
            print("outcomes: identical")
        else:
            differ = plural(len(result.differences), "test differs", "tests differ")
            print(f"outcomes: {differ}")
            for d in result.differences:  # a test id is shown, never obeyed (JSON: exact)
                print(f"  {d.kind:<15} [{d.suite}] {visible(d.nodeid)}")
                print(f"  {'':<15} sequential: {' '.join(d.sequential)}")
                print(f"  {'':<15} parallel:   {' '.join(d.parallel)}")
        if result.failing:
            failed = plural(len(result.failing), "test fails", "tests fail")
            print(f"failing: {failed} both sequentially and in parallel")
            for suite, nodeid, outcome in result.failing:
                print(f"  {outcome:<15} [{suite}] {visible(nodeid)}")
        for line in result.incomplete:
            print(f"incomplete: {visible(line)}")
        if result.retried:
            needed = plural(len(result.retried), "test needed", "tests needed")
            print(f"retried: {needed} a retry to pass or fail (flaky, not stable)")
            for suite, nodeid, mode in result.retried:
                print(f"  {mode:<15} [{suite}] {visible(nodeid)}")
    return 0 if result.sound else 1
