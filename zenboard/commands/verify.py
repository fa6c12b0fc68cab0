"""`zenboard verify`: N consecutive runs, a proof log each, and a stable/flaky verdict.

Given test ids (`verify NODEID... --runs N`) it is one stress run instead: each test N times,
spread over the workers (`run --repeat`), judged repetition by repetition.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from zenboard.config import ProjectConfig
    from zenboard.headless.verify import QuietRun, Verdict
    from zenboard.headless.verify_history import HistoryNote
    from zenboard.model.state import RunState

from zenboard.commands import add_timeout_arguments, timeouts_of

NAME = "verify"
HELP = "run the suites N times in a row (default 5): proof logs and a stable/flaky verdict"
WRITES = (
    "Reads the run history first (shown beside the verdict). Writes each run's reports to "
    ".zenboard/reports/verify/run<k>/, a proof log per run to "
    ".zenflow/tasks/<task>/proof_run<k>.txt, and records every run in .zenboard/history.db. "
    "A Playwright suite claims a port per worker in the port registry (until its worktree is "
    "gone)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE|NODEID",
        help="suites to run (default: all); test ids (path::test) make it a stress run",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        metavar="N",
        help="consecutive runs, or each test id's repetitions (default 5)",
    )
    parser.add_argument(
        "--task", metavar="ID", help="task whose .zenflow/tasks/<ID>/ gets the proof logs"
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    add_timeout_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config, with_timeouts
    from zenboard.errors import InputError
    from zenboard.headless.verify import judge, judge_repetitions
    from zenboard.headless.verify_history import notes, read_or_reason
    from zenboard.project.git import head_commit
    from zenboard.tasks.identity import resolve_task

    if args.runs < 1:
        raise InputError(f"--runs {args.runs}: expected a whole number >= 1")
    config = with_timeouts(load_config(args.project), timeouts_of(args))
    task = resolve_task(config.root, args.task)
    proof_dir = config.root / ".zenflow" / "tasks" / task.id
    _check_proof_dir(config, proof_dir)
    commit = head_commit(config.root)
    stress = any("::" in word for word in args.suites)
    # read before the first run: this verify's own runs are no evidence about it
    known, unread = read_or_reason(config.root, config.history, config.project)
    unwritten: list[Path] = []
    if stress:
        done = _stress_run(args, config, proof_dir / "proof_run1.txt", task.id, commit, unwritten)
        names = {s.name for s in config.suites}
        asked = tuple(dict.fromkeys(w for w in args.suites if w not in names))
        verdict = judge_repetitions(done.state, args.runs, config.quarantine, asked)
    else:
        states = [
            _one_run(args, config, k, proof_dir / f"proof_run{k}.txt", task.id, commit, unwritten)
            for k in range(1, args.runs + 1)
        ]
        verdict = judge(states, config.quarantine)
    found = notes(verdict, known)
    if unread:
        import sys

        print(f"history not read: {unread}", file=sys.stderr)
    if args.json:
        data = _as_json(verdict, args.runs, stress, task.id, proof_dir)
        data["history"] = [note.as_json() for note in found]
        print(json.dumps(data, indent=2))
    else:
        _print_verdict(verdict, args.runs, stress)
        _print_history(found, args.runs, stress)
    # A verdict without its proof is never a green: at least 1 when a proof log is missing.
    return 0 if verdict.word == "stable" and not unwritten else 1


def _check_proof_dir(config: ProjectConfig, proof_dir: Path) -> None:
    """Refuse (exit 2) before any run a proof dir that cannot be made, or only through a link."""
    from zenboard import safefs
    from zenboard.errors import InputError

    try:
        with safefs.open_dir(proof_dir, config.root):
            pass
    except OSError as exc:
        raise InputError(f"proof logs cannot be written: {safefs.describe(exc)}") from None


def _one_run(
    args: argparse.Namespace,
    config: ProjectConfig,
    k: int,
    proof: Path,
    task: str,
    commit: str | None,
    unwritten: list[Path],
) -> RunState:
    """Run k of N: the suites whole, its proof log (or, in `unwritten`, why not), its line."""
    from zenboard.headless.verify import proof_log, run_quietly

    suites = config.select(args.suites)
    report_dir = config.root / ".zenboard" / "reports" / "verify" / f"run{k}"
    done = run_quietly(config, suites, report_dir, "verify")
    written = _write_proof(config, proof, proof_log(k, args.runs, done, task, commit), unwritten)
    if not args.json:
        _say(f"run {k}/{args.runs}", done, proof, written)
    return done.state


def _stress_run(
    args: argparse.Namespace,
    config: ProjectConfig,
    proof: Path,
    task: str,
    commit: str | None,
    unwritten: list[Path],
) -> QuietRun:
    """The one run of a stress verify: each test id `--runs` times over the workers."""
    from zenboard.commands.run import repeat_selection
    from zenboard.headless.verify import proof_log, run_quietly
    from zenboard.words import plural

    suites, selection = repeat_selection(config, args.suites, args.runs, flag="--runs")
    report_dir = config.root / ".zenboard" / "reports" / "verify" / "run1"
    done = run_quietly(config, suites, report_dir, "verify", selection=selection)
    tests = len(next(iter(selection.values()))[0])
    what = f"stress run, {plural(args.runs, 'repetition')} of {plural(tests, 'test')}"
    text = proof_log(1, 1, done, task, commit, f"zenboard verify: {what}")
    written = _write_proof(config, proof, text, unwritten)
    if not args.json:
        _say(what, done, proof, written)
    return done


def _write_proof(config: ProjectConfig, proof: Path, text: str, unwritten: list[Path]) -> bool:
    """Write a proof log; a fault is one line on stderr (in `unwritten`), and the runs go on."""
    import sys

    from zenboard import safefs
    from zenboard.textsafe import visible

    try:  # below the project: never through a link (`.zenflow -> ~` is refused)
        safefs.write_atomic(proof, text, config.root)
    except OSError as exc:
        print(f"proof log not written: {visible(safefs.describe(exc))}", file=sys.stderr)
        unwritten.append(proof)
        return False
    return True


def _say(what: str, done: QuietRun, proof: Path, written: bool) -> None:
    """One line a run: its counts, wall time, exit code and proof log."""
    from zenboard.textsafe import visible

    counts = {
        o: sum(s.counts[o] for s in done.state.suites.values())
        for o in ("passed", "failed", "error", "skipped")
    }
    said = ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "no tests"
    where = visible(str(proof)) if written else "no proof log (not written)"
    line = f"{what}: {said} in {done.wall:.1f}s (exit {done.exit_code}) -> {where}"
    print(line, flush=True)


def _as_json(
    verdict: Verdict, runs: int, stress: bool, task: str, proof_dir: Path
) -> dict[str, object]:
    def rows(kind: str) -> list[dict[str, str]]:
        return [
            {"suite": t.suite, "nodeid": t.nodeid, "pattern": t.pattern}
            for t in getattr(verdict, kind)
        ]

    return {
        "verdict": verdict.word,
        "runs": runs,
        "stress": stress,
        "task": task,
        "proof_dir": str(proof_dir),
        "flaky": rows("flaky"),
        "failing": rows("failing"),
        "quarantined": [
            {"suite": t.suite, "nodeid": t.nodeid, "pattern": t.pattern, "reason": t.quarantined}
            for t in verdict.quarantined
        ],
        "suite_errors": verdict.suite_errors,
    }


def _print_history(found: list[HistoryNote], runs: int, stress: bool) -> None:
    """What the history knows about the tests verified: shown, never judged."""
    from zenboard.headless.verify_history import note_line

    for note in found:
        print(note_line(note, runs, stress))


def _print_verdict(verdict: Verdict, runs: int, stress: bool) -> None:
    """The verdict in lines; test ids, reasons and suite errors are shown, never obeyed."""
    from zenboard.textsafe import visible
    from zenboard.words import plural

    times = plural(runs, "repetition" if stress else "run")
    print(f"verdict: {verdict.word} ({times}, {plural(len(verdict.tests), 'test')})")
    for t in verdict.flaky:
        print(f"  flaky    {t.pattern}  [{t.suite}] {visible(t.nodeid)}")
    for t in verdict.failing:
        print(f"  failing  {t.pattern}  [{t.suite}] {visible(t.nodeid)}")
    for line in verdict.suite_errors:
        print(f"  error    {visible(line)}")
    if verdict.quarantined:
        print("quarantined (judged apart: their failures do not change the verdict)")
    for t in verdict.quarantined:
        print(visible(f"  {t.kind:<8} {t.pattern}  [{t.suite}] {t.nodeid}: {t.quarantined}"))
