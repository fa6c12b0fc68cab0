"""`zenboard durations`: show or refresh `.zenboard/durations.json`, which plans shards."""

from __future__ import annotations

import argparse

from zenboard.commands import path_arg

NAME = "durations"
HELP = "write .zenboard/durations.json from the last full run (--update), or show what it holds"
WRITES = "With --update it writes .zenboard/durations.json; without, it writes nothing."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--update",
        action="store_true",
        help="rewrite it from each suite's last full, unsharded run in the history (the team's "
        "PostgreSQL one when set: run it once before the shard jobs)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=path_arg,
        metavar="REPORT_DIR",
        help="with --update: take the durations from REPORT_DIR/summary.json instead "
        "(e.g. the merged reports of all shards)",
    )


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config
    from zenboard.errors import InputError
    from zenboard.records import durations
    from zenboard.records.history import HISTORY_FILE, History, recorded
    from zenboard.textsafe import visible
    from zenboard.words import plural

    config = load_config(args.project)  # refuses a linked or shared .zenboard/, not read through
    root = config.root
    if args.source is not None and not args.update:
        raise InputError(f"--from {args.source}: only with --update (it says where to take them)")
    if args.update and args.source is not None:
        path = durations.update(root, durations.from_summary(args.source.resolve()))
        print(  # paths: their folders' names are not zenboard's
            visible(f"wrote {path}")
            if path
            else visible(f"{args.source}: no complete suite to take durations from")
        )
    elif args.update:
        if not recorded(root, config.history):
            raise InputError(f"{root / HISTORY_FILE}: no run history yet (run `zenboard run` once)")
        with History(root, config.history, config.project) as db:
            fresh = db.last_full_durations()
            where, project = db.where, db.project
        if not fresh:
            raise InputError(
                visible(f"{where}: no complete, unsharded run of any suite of {project} yet")
            )
        path = durations.update(root, fresh)
        print(visible(f"wrote {path}"))
    known = durations.load(root)
    if not known:
        path = root / durations.DURATIONS_FILE
        print(visible(f"{path}: none yet (shards then split by test count)"))
    for suite, tests in sorted(known.items()):  # the file may come from a CI cache: untrusted
        count = plural(len(tests), "test")
        print(f"  {visible(suite):<16} {count:>11} {sum(tests.values()):>9.2f}s")
    return 0
