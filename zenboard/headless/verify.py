"""The flake protocol: N consecutive runs, a proof log each, a verdict.

A parallel setup is sound when the same tests give the same outcomes run after run. Each run
is an ordinary headless run (same engine, same reports, recorded in the history as `verify`)
with its output kept out of the way; what remains is one line per run, a proof log per run in
`.zenflow/tasks/<task>/proof_run<k>.txt`, and a verdict over all runs:
- stable: every test passed (or was skipped) in every run, and every suite completed;
- flaky: a test passed in some runs and failed in others (shown with its pattern, `PPFPP`), or
  passed only on a retry (`R`) in any run: a retry that was needed is never stable;
- failing: no test flaked, but some failed every time (a broken test is not a flaky one).

Given test ids, verify is a stress run instead (`run --repeat N`): one run, each test N times
over the workers, and the same verdict over the repetitions (`judge_repetitions`). Either way
quarantined tests are judged apart: listed with their reason, never making the verdict fail.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.model.quarantine import reason_of
from zenboard.model.state import RunState, SuiteState, SuiteStatus
from zenboard.records.history import outcome_letter
from zenboard.records.repetitions import not_run
from zenboard.textsafe import visible
from zenboard.wire import repeated_of, repetition_number
from zenboard.words import plural

MISSING = "-"
"""Pattern letter for a run in which the test did not report at all."""


@dataclass
class QuietRun:
    """One finished run: its model, exit code and wall time."""

    state: RunState
    exit_code: int
    started: float
    wall: float
    output: str = field(repr=False, default="")


def run_quietly(
    config: ProjectConfig,
    suites: tuple[SuiteConfig, ...],
    report_dir: Path,
    kind: str,
    selection: Mapping[str, tuple[tuple[str, ...], str]] | None = None,
    extra_env: dict[str, str] | None = None,
) -> QuietRun:
    """A headless run whose progress lines go to a buffer instead of the terminal.

    Args:
        config: The project's configuration.
        suites: The suites to run.
        report_dir: Where the run's reports go.
        kind: What the history records the run as (`verify`, `compare`).
        selection: suite name -> (node ids, rootdir) to run instead of the whole suite.
        extra_env: Variables added to every suite's environment.
    """
    from zenboard.headless.run import HeadlessRun, RunOptions

    out = io.StringIO()
    started = time.time()
    clock = time.monotonic()
    options = RunOptions(
        report_dir=report_dir,
        ci=True,
        out=out,
        extra_env=extra_env,
        selection=selection or {},
        kind=kind,
    )
    run = HeadlessRun(config, suites, options)
    code = run.run()
    return QuietRun(run.state, code, started, time.monotonic() - clock, out.getvalue())


def outcomes(state: RunState) -> dict[tuple[str, str], str]:
    """(suite, nodeid) -> outcome for every test that reported in `state`."""
    return {(s.name, t.nodeid): t.outcome for s in state.suites.values() for t in s.tests.values()}


def letters(state: RunState) -> dict[tuple[str, str], str]:
    """(suite, nodeid) -> its pattern letter in `state` (R: it passed only on a retry)."""
    return {
        (s.name, t.nodeid): outcome_letter(t.outcome, t.attempts)
        for s in state.suites.values()
        for t in s.tests.values()
    }


def retried(state: RunState) -> list[tuple[str, str]]:
    """(suite, nodeid) of the tests of `state` that needed more than one attempt."""
    return [
        (s.name, t.nodeid)
        for s in state.suites.values()
        for t in s.tests.values()
        if t.attempts > 1
    ]


@dataclass(frozen=True)
class TestVerdict:
    __test__ = False  # not a pytest test class
    suite: str
    nodeid: str
    pattern: str
    """One letter a run: P passed, R passed on a retry, F failed or error, S skipped, x/X
    xfail/xpass, - missing."""
    quarantined: str = ""
    """Why the project quarantined the test ("" when it did not): judged apart."""

    @property
    def kind(self) -> str:
        if "R" in self.pattern:  # it failed, then passed, within one run
            return "flaky"
        failed = "F" in self.pattern
        passed = any(c in "PSxX" for c in self.pattern)
        if failed and passed:
            return "flaky"
        if failed:
            return "failing"
        return "passing"


@dataclass
class Verdict:
    tests: list[TestVerdict]
    suite_errors: list[str]
    """Suites that could not complete in some run (collection errors, crashes outside tests)."""

    @property
    def flaky(self) -> list[TestVerdict]:
        return [t for t in self.tests if t.kind == "flaky" and not t.quarantined]

    @property
    def failing(self) -> list[TestVerdict]:
        return [t for t in self.tests if t.kind == "failing" and not t.quarantined]

    @property
    def quarantined(self) -> list[TestVerdict]:
        """Quarantined tests, whatever their pattern: shown apart, failing nothing."""
        return [t for t in self.tests if t.quarantined]

    @property
    def word(self) -> str:
        if self.flaky:
            return "flaky"
        if self.failing or self.suite_errors:
            return "failing"
        return "stable"


def judge(runs: Sequence[RunState], quarantine: Mapping[str, str] | None = None) -> Verdict:
    """The verdict over consecutive runs of the same suites (`quarantine`: id -> reason)."""
    per_run = [letters(state) for state in runs]
    keys = sorted({key for run in per_run for key in run})
    tests = [
        TestVerdict(
            suite,
            nodeid,
            "".join(run.get((suite, nodeid), MISSING) for run in per_run),
            reason_of(nodeid, quarantine or {}) or "",
        )
        for suite, nodeid in keys
    ]
    errors = [
        f"run {k}: {line}" for k, state in enumerate(runs, start=1) for line in incomplete(state)
    ]
    return Verdict(tests, errors)


def judge_repetitions(
    state: RunState,
    times: int,
    quarantine: Mapping[str, str] | None = None,
    asked: tuple[str, ...] = (),
) -> Verdict:
    """The verdict over one stress run: a letter per repetition, in their order (`@repeat<k>`).

    A repetition that reported nothing is `-`, and its suite is incomplete (a verdict error);
    so is an id of `asked` that no suite ran (never "stable" for tests that did not run).
    """
    letters: dict[tuple[str, str], list[str]] = {}
    for suite in state.suites.values():
        for result in suite.tests.values():
            key = (suite.name, repeated_of(result.nodeid))
            pattern = letters.setdefault(key, [MISSING] * times)
            k = repetition_number(result.nodeid)
            if k is None:  # not a plain function: it ran once
                letters[key] = pattern = pattern[:1]
                k = 1
            if 1 <= k <= len(pattern):
                pattern[k - 1] = outcome_letter(result.outcome, result.attempts)
    tests = [
        TestVerdict(
            suite,
            nodeid,
            "".join(letters[(suite, nodeid)]),
            reason_of(nodeid, quarantine or {}) or "",
        )
        for suite, nodeid in sorted(letters)
    ]
    ran = [t.nodeid for s in state.suites.values() for t in s.tests.values()]
    unrun = [
        f"{nodeid}: no repetition ran (no suite selected it)" for nodeid in not_run(asked, ran)
    ]
    return Verdict(tests, incomplete(state) + unrun)


def incomplete(state: RunState) -> list[str]:
    """A line per suite of `state` that could not complete: its outcomes are not the whole story."""
    return [
        f"suite {suite.name} {suite.status}: {_why(suite)}"
        for suite in state.suites.values()
        if suite.status in (SuiteStatus.ERROR, SuiteStatus.CANCELLED)
        or suite.not_run
        or suite.interrupted
    ]


def _why(suite: SuiteState) -> str:
    """Why a suite could not complete, in one line: its error, else its first collection error."""
    if suite.error:
        return suite.error
    left = [*suite.not_run, *suite.interrupted]
    if left:
        return f"{plural(len(left), 'test')} got no outcome (first: {left[0]})"
    if suite.collect_errors:
        nodeid, text = suite.collect_errors[0]
        return f"collection error in {nodeid}: {_last_line(text)}"
    return "see its reports"


def proof_log(
    k: int, runs: int, run: QuietRun, task: str, commit: str | None, heading: str = ""
) -> str:
    """The text of `proof_run<k>.txt`: suites, counts, timings and failures of one run.

    The log is read with `cat` and `less`, which pass escape sequences to the terminal, so the
    whole text is shown as `visible()` shows it: test ids and messages name their control
    characters (`\\x1b`) instead of carrying them (the JSON reports keep them exact).

    Args:
        k: The run's number, from 1.
        runs: How many runs the verification makes.
        run: The finished run.
        task: The task id the log names.
        commit: The git commit tested (None: not a git repository).
        heading: The log's first line (default: which run of how many it is).
    """
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started))
    lines = [
        heading or f"zenboard verify: run {k} of {runs}",
        f"task: {task}",
        f"commit: {commit or '(not a git repository)'}",
        f"started: {when}",
        f"wall time: {run.wall:.2f}s",
        f"exit code: {run.exit_code}",
        "",
        f"{'suite':<16} {'status':<10} {'workers':>7} {'tests':>6} {'passed':>7} {'failed':>7} "
        f"{'skipped':>8} {'time':>8}",
    ]
    failures: list[str] = []
    for suite in run.state.suites.values():
        if not suite.runs:
            continue
        c = suite.counts
        workers = len([w for w in suite.workers.values() if not w.crashed])
        lines.append(
            f"{suite.name:<16} {suite.status!s:<10} {workers:>7} {suite.done:>6} {c['passed']:>7} "
            f"{c['failed'] + c['error']:>7} {c['skipped']:>8} "
            f"{suite.duration(run.started + run.wall):>7.2f}s"
        )
        failures += [
            f"  [{suite.name}] {t.outcome.upper()}{' (quarantined)' if t.quarantined else ''} "
            f"{t.nodeid} ({t.worker}): {t.reason()}"
            for t in suite.failures()
        ]
        failures += [
            f"  [{suite.name}] COLLECTION ERROR {nodeid}: {_last_line(text)}"
            for nodeid, text in suite.collect_errors
        ]
        if suite.error:
            failures.append(f"  [{suite.name}] ERROR {suite.error}")
    lines += ["", f"failures: {len(failures)}", *failures]
    return "\n".join(visible(line) for line in lines) + "\n"


def _last_line(text: str) -> str:
    """A collection error's telling line: the last of pytest's report (`E   ImportError: ...`)."""
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""
