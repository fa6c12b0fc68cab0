"""`zenboard history`: recent runs, slowest tests and flakiest tests from the run history
(`.zenboard/history.db`, or the team's PostgreSQL), for one machine, branch or commit if asked;
the current project's runs only unless `--all-projects` (a shared database holds several).

`--flaky` reviews the quarantine instead: candidates to paste in, and quarantined tests ready
to leave (`records.quarantine_review`).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zenboard.records.quarantine_review import Candidate, Stay

NAME = "history"
HELP = "show recent runs, the slowest tests and the flakiest tests from the run history"
WRITES = "Reads .zenboard/history.db (or the PostgreSQL history); writes nothing."


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
        "--json",
        action="store_true",
        help="print {project, runs, slowest, flakiest} as JSON (project: null with --all-projects)",
    )
    parser.add_argument("--machine", metavar="HOST", help="only the runs of this machine")
    parser.add_argument("--branch", metavar="NAME", help="only the runs of this git branch")
    parser.add_argument(
        "--commit", metavar="SHA", help="only the runs of this commit (a prefix is enough)"
    )
    parser.add_argument(
        "--all-projects",
        action="store_true",
        help="the runs of every project in a shared history (default: this project's)",
    )
    parser.add_argument(
        "--flaky",
        action="store_true",
        help="quarantine candidates as TOML lines, and quarantined tests ready to leave",
    )


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config
    from zenboard.project.history_key import history_key
    from zenboard.records.history import History, RunFilter, recorded
    from zenboard.records.history_db.postgres import shown
    from zenboard.textsafe import visible
    from zenboard.words import plural

    config = load_config(args.project)  # refuses a linked or shared .zenboard/, not read through
    root = config.root
    if args.flaky:
        return _review_quarantine(args)
    runs = RunFilter(args.machine, args.branch, args.commit)
    project = None if args.all_projects else history_key(root, config.project)
    data: dict[str, Any] = {"project": project, "runs": [], "slowest": [], "flakiest": []}
    if recorded(root, config.history):
        with History(root, config.history, config.project, args.all_projects) as db:
            data["runs"] = db.recent_runs(args.limit, runs)
            data["slowest"] = db.slowest_tests(args.limit, runs=runs)
            data["flakiest"] = db.flakiest_tests(args.limit, runs=runs)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(visible(f"recent runs of {project}" if project else "recent runs of every project"))
    if not data["runs"]:
        where = shown(config.history) if config.history else ".zenboard/history.db"
        print(visible(f"  (none yet: every zenboard run is recorded in {where})"))
    for r in data["runs"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(str(r["started"]))))
        shard = f" shard {r['shard']}" if r["shard"] else ""
        commit = str(r["commit"] or "-")[:10]
        origin = f"{r['machine'] or '-'} {r['branch'] or '-'} {commit}"
        if args.all_projects:
            origin = f"{r['project'] or '(no project)'} {origin}"
        print(  # every field comes from a database other processes (or hosts) write
            visible(
                f"  #{r['id']:<5} {when} {r['kind']:<8}{shard} exit {r['exit_code']} "
                f"{plural(r['tests'], 'test')} "
                f"{r['failed']} failed {r['duration']:.1f}s {origin} {','.join(r['suites'])}"
            )
        )
    print("slowest tests (mean over recent runs)")
    if not data["slowest"]:
        print("  (none)")
    for t in data["slowest"]:
        print(visible(f"  {t['mean']:>8.3f}s  [{t['suite']}] {t['nodeid']}"))
    print("flakiest tests (outcome flips, oldest run first)")
    if not data["flakiest"]:
        print("  (none)")
    for t in data["flakiest"]:
        flips = plural(t["flips"], "flip")
        print(visible(f"  {flips:>9}  {t['pattern']}  [{t['suite']}] {t['nodeid']}"))
    return 0


def _review_quarantine(args: argparse.Namespace) -> int:
    """`--flaky`: what to add to the quarantine, and what may leave it."""
    from zenboard.config import load_config
    from zenboard.records.history import History, recorded
    from zenboard.records.quarantine_review import candidates, stays

    config = load_config(args.project)
    if recorded(config.root, config.history):
        with History(config.root, config.history, config.project, args.all_projects) as db:
            found, kept = candidates(db, config.quarantine), stays(db, config.quarantine)
    else:
        found, kept = [], stays(None, config.quarantine)
    if args.json:
        data = {
            "candidates": [{**asdict(c), "toml": c.toml_line()} for c in found],
            "quarantined": [{**asdict(s), "status": s.status} for s in kept],
        }
        print(json.dumps(data, indent=2))
    else:
        _print_review(found, kept, str(config.source or "pyproject.toml"))
    return 0


def _print_review(found: list[Candidate], kept: list[Stay], source: str) -> None:
    """The review in lines. Ids and reasons come from the history and the config, so they are
    shown as `visible` shows them (a TOML line has its control characters escaped already)."""
    from zenboard.records.quarantine_review import LEAVE_AFTER
    from zenboard.textsafe import visible

    print(visible(f"quarantine candidates (paste under [tool.zenboard.quarantine] in {source})"))
    if not found:
        print("# none: no test outside the quarantine both passed and failed in the last 50 runs")
    for c in found:
        print(visible(c.toml_line()))
    print(f"quarantined tests (ready to leave after {LEAVE_AFTER} passes in a row)")
    if not kept:
        print("  (none: [tool.zenboard.quarantine] is empty)")
    for s in kept:
        said = {
            "ready to leave": f"passed its last {LEAVE_AFTER} runs in a row",
            "keep": f"{s.passed_in_a_row} of the {LEAVE_AFTER} passes in a row it needs",
            "no runs recorded": "renamed, deleted, or not run since it was quarantined?",
        }[s.status]
        print(visible(f"  {s.status:<16}  {s.nodeid}: {said} ({s.reason})"))
