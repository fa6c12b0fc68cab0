"""`zenboard history`: recent runs, slowest tests and flakiest tests from `.zenboard/history.db`."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

NAME = "history"
HELP = "show recent runs, the slowest tests and the flakiest tests from the run history"
WRITES = "Reads .zenboard/history.db; writes nothing."


LIMIT_MAX = 10_000


def _limit(text: str) -> int:
    """--limit N with 1 <= N <= LIMIT_MAX (argparse turns the error into one line, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"{text} is outside 1 to {LIMIT_MAX}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit",
        type=_limit,
        default=10,
        metavar="N",
        help=f"rows per table, 1 to {LIMIT_MAX} (default 10)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print {runs, slowest, flakiest} as JSON"
    )


def run(args: argparse.Namespace) -> int:
    from zenboard.project.statedir import check_state_dirs
    from zenboard.records.history import HISTORY_FILE, History
    from zenboard.textsafe import visible
    from zenboard.words import plural

    root = args.project.resolve()
    check_state_dirs(root)  # a linked or shared .zenboard/ is refused here too, not read through
    if not (root / HISTORY_FILE).is_file():
        data: dict[str, list[dict[str, Any]]] = {"runs": [], "slowest": [], "flakiest": []}
    else:
        with History(root) as db:
            data = {
                "runs": db.recent_runs(args.limit),
                "slowest": db.slowest_tests(args.limit),
                "flakiest": db.flakiest_tests(args.limit),
            }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print("recent runs")
    if not data["runs"]:
        print("  (none yet: every zenboard run is recorded in .zenboard/history.db)")
    for r in data["runs"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(str(r["started"]))))
        shard = f" shard {r['shard']}" if r["shard"] else ""
        commit = str(r["commit"] or "")[:10]
        print(  # every field comes from a database other processes (or hosts) write
            visible(
                f"  #{r['id']:<5} {when} {r['kind']:<8}{shard} exit {r['exit_code']} "
                f"{plural(r['tests'], 'test')} "
                f"{r['failed']} failed {r['duration']:.1f}s {commit} {','.join(r['suites'])}"
            )
        )
    print("slowest tests (mean over recent runs)")
    for t in data["slowest"]:
        print(visible(f"  {t['mean']:>8.3f}s  [{t['suite']}] {t['nodeid']}"))
    print("flakiest tests (outcome flips, oldest run first)")
    if not data["flakiest"]:
        print("  (none)")
    for t in data["flakiest"]:
        flips = plural(t["flips"], "flip")
        print(visible(f"  {flips:>9}  {t['pattern']}  [{t['suite']}] {t['nodeid']}"))
    return 0
