"""`zenboard merge`: join CI shards' report dirs into one (summary.json, JSON and JUnit)."""

from __future__ import annotations

import argparse

from zenboard.commands import path_arg

PROJECT = "optional"
"""Runs without a project: the current directory will do (see cli._project)."""
NAME = "merge"
HELP = "merge the report dirs of shards (zenboard run --shard K/N) into one report dir"
EXAMPLE = "zenboard merge reports-1/ reports-2/ --report-dir merged/"
"""Shown in `--help` and after a usage error: the two required parts are easy to miss."""
WRITES = (
    "Writes the merged summary.json, <suite>.json and <suite>.xml into OUT (--report-dir); "
    "reads the shards' dirs, writes nothing else."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dirs", nargs="+", type=path_arg, metavar="DIR", help="report dirs of the shards"
    )
    parser.add_argument(
        "--report-dir",
        type=path_arg,
        metavar="OUT",
        required=True,
        help="where the merged reports go",
    )


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config
    from zenboard.project.root import has_zenboard
    from zenboard.records.merge import excused as is_excused
    from zenboard.records.merge import merge
    from zenboard.textsafe import visible
    from zenboard.words import plural

    # The project's table, when there is one: a shard's own word does not excuse a failure.
    configured = has_zenboard(args.project)
    quarantine = load_config(args.project).quarantine if configured else None
    if quarantine is None:
        print("merge: no zenboard configuration here: quarantined rows are taken as they say")
    merged = merge([d.resolve() for d in args.dirs], args.report_dir.resolve(), quarantine)
    for suite in merged["suites"]:  # read from other jobs' reports: shown, never obeyed
        counts = " ".join(f"{k}={v}" for k, v in suite["counts"].items() if v)
        tests = plural(len(suite["tests"]), "test")
        print(visible(f"[{suite['name']}] {suite['status']} {tests} {counts}"))
        excused = [t["nodeid"] for t in suite["tests"] if is_excused(t)]
        if excused:
            names = ", ".join(excused[:5]) + (
                f" and {len(excused) - 5} more" if excused[5:] else ""
            )
            line = f"[{suite['name']}] quarantined: {len(excused)} failed, not counted: {names}"
            print(visible(line))
    for conflict in merged["isolation"]["conflicts"]:
        print(visible(f"[shard {conflict['shard']}] isolation: SHARED {conflict['message']}"))
    print(
        f"merged {plural(len(args.dirs), 'report dir')} into {args.report_dir.resolve()} "
        f"(exit {merged['exit_code']})"
    )
    code: int = merged["exit_code"]
    return code
