"""`zenboard verify`: N consecutive runs, a proof log each, and a stable/flaky verdict."""

from __future__ import annotations

import argparse
import json

from zenboard.commands import add_timeout_arguments, timeouts_of

NAME = "verify"
HELP = "run the suites N times in a row (default 5): proof logs and a stable/flaky verdict"
WRITES = (
    "Writes each run's reports to .zenboard/reports/verify/run<k>/, a proof log per run to "
    ".zenflow/tasks/<task>/proof_run<k>.txt, and records every run in .zenboard/history.db."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suites", nargs="*", metavar="SUITE", help="suites to run (default: all)")
    parser.add_argument(
        "--runs", type=int, default=5, metavar="N", help="consecutive runs (default 5)"
    )
    parser.add_argument(
        "--task", metavar="ID", help="task whose .zenflow/tasks/<ID>/ gets the proof logs"
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    add_timeout_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from zenboard import safefs
    from zenboard.config import load_config, with_timeouts
    from zenboard.errors import InputError
    from zenboard.headless.verify import judge, proof_log, run_quietly
    from zenboard.project.git import head_commit
    from zenboard.tasks.identity import resolve_task
    from zenboard.textsafe import visible
    from zenboard.words import plural

    if args.runs < 1:
        raise InputError(f"--runs {args.runs}: expected a whole number >= 1")
    config = with_timeouts(load_config(args.project), timeouts_of(args))
    suites = config.select(args.suites)
    task = resolve_task(config.root, args.task)
    proof_dir = config.root / ".zenflow" / "tasks" / task.id
    commit = head_commit(config.root)
    states = []
    for k in range(1, args.runs + 1):
        report_dir = config.root / ".zenboard" / "reports" / "verify" / f"run{k}"
        done = run_quietly(config, suites, report_dir, "verify")
        states.append(done.state)
        proof = proof_dir / f"proof_run{k}.txt"
        try:  # below the project: never through a link (`.zenflow -> ~` is refused)
            safefs.write_atomic(proof, proof_log(k, args.runs, done, task.id, commit), config.root)
        except OSError as exc:
            raise InputError(f"proof log not written: {safefs.describe(exc)}") from None
        counts = {
            o: sum(s.counts[o] for s in done.state.suites.values())
            for o in ("passed", "failed", "error", "skipped")
        }
        said = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "no tests"
        if not args.json:
            print(
                f"run {k}/{args.runs}: {said} in {done.wall:.1f}s (exit {done.exit_code})"
                f" -> {visible(str(proof))}",
                flush=True,
            )
    verdict = judge(states)
    if args.json:
        print(
            json.dumps(
                {
                    "verdict": verdict.word,
                    "runs": args.runs,
                    "task": task.id,
                    "proof_dir": str(proof_dir),
                    "flaky": [
                        {"suite": t.suite, "nodeid": t.nodeid, "pattern": t.pattern}
                        for t in verdict.flaky
                    ],
                    "failing": [
                        {"suite": t.suite, "nodeid": t.nodeid, "pattern": t.pattern}
                        for t in verdict.failing
                    ],
                    "suite_errors": verdict.suite_errors,
                },
                indent=2,
            )
        )
    else:  # test ids and suite errors are shown, never obeyed (the JSON above stays exact)
        counted = f"{plural(args.runs, 'run')}, {plural(len(verdict.tests), 'test')}"
        print(f"verdict: {verdict.word} ({counted})")
        for t in verdict.flaky:
            print(f"  flaky    {t.pattern}  [{t.suite}] {visible(t.nodeid)}")
        for t in verdict.failing:
            print(f"  failing  {t.pattern}  [{t.suite}] {visible(t.nodeid)}")
        for line in verdict.suite_errors:
            print(f"  error    {visible(line)}")
    return 0 if verdict.word == "stable" else 1
