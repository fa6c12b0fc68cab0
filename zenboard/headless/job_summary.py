"""The run as Markdown, for a CI's job page: GitHub's job summary, or `--summary-md FILE`.

Tables per suite and per worker, the failures with short tracebacks, flaky, quarantined and
crashed tests, the slowest tests. GitHub refuses a step summary over 1 MiB, and a run can have
20,000 failures: sections are added in order of importance while they fit a byte budget, and
a list that does not fit says how many it left out. Test ids and failure texts are untrusted:
GitHub renders HTML in a summary, so no text of a test may become markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from zenboard.headless.github import SuiteError, counted_failures, suite_errors
from zenboard.headless.short_traceback import short_traceback
from zenboard.model.events import OUTCOMES
from zenboard.model.state import RunState, SuiteState, TestResult
from zenboard.textsafe import visible
from zenboard.words import plural

LIMIT_BYTES = 1024 * 1024
"""GitHub's limit for one step's summary."""
RESERVE_BYTES = 4096
"""Kept free while a list grows, for the lines saying what was left out."""
AFTER_FAILURES_BYTES = 64 * 1024
"""Kept free by the failures, the longest list, for the sections after it (flaky, slowest...)."""
SLOWEST_SHOWN = 10
TEXT_CHARS = 300
"""Longest test id or reason in a table cell."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def md_text(text: str, chars: int = TEXT_CHARS) -> str:
    """`text` as plain Markdown text on one line: no markup, no HTML, no table cell's end."""
    text = visible(" ".join(text.split()))
    if len(text) > chars:
        text = text[: chars - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def code_block(lines: Iterable[str]) -> str:
    """A fenced block whose fence no line can close (a longer run of backticks than any in it)."""
    body = "\n".join(visible(line) for line in lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


class _Budget:
    """Parts of the summary, added while they fit `limit` bytes (UTF-8)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def fits(self, text: str, reserve: int = RESERVE_BYTES) -> bool:
        return self.size + len(text.encode("utf-8", "replace")) + 1 <= self.limit - reserve

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text.encode("utf-8", "replace")) + 1

    def add_list(
        self,
        heading: str,
        items: Iterable[str],
        total: int,
        more: str,
        reserve: int = RESERVE_BYTES,
    ) -> None:
        """`heading` and as many of the `total` `items` as fit, keeping `reserve` bytes free,
        then `N more <more>` for the rest. `items` may be lazy: those left out are never built."""
        if not total or not self.fits(heading):
            return
        self.add(heading)
        for shown, item in enumerate(items):
            if not self.fits(item, reserve):
                self.add(f"\n_{total - shown} more {more}: see the reports._\n")
                return
            self.add(item)

    def text(self) -> str:
        return "\n".join(self.parts) + "\n"


def _tests(suite: SuiteState) -> int:
    """The suite's tests: those collected (a cancelled suite ran fewer), else those done."""
    return max(suite.done, suite.total or 0)


def _suite_table(suites: list[SuiteState], now: float) -> str:
    head = _row("suite", "status", "tests", *OUTCOMES, "flaky", "time")
    lines = [head, "|" + "---|" * (len(OUTCOMES) + 5)]
    for s in suites:
        counts = [s.counts[o] for o in OUTCOMES]
        lines.append(
            _row(md_text(s.name), s.status, _tests(s), *counts, s.flaky, f"{s.duration(now):.1f} s")
        )
    return "\n".join(lines)


def _worker_table(suites: list[SuiteState]) -> str:
    lines = [
        _row("suite", "worker", "done", "passed", "failed", "note"),
        "|---|---|---|---|---|---|",
    ]
    for s in suites:
        for w in s.workers.values():
            notes = [f"replaces {md_text(w.replaces)}"] if w.replaces else []
            if w.crashed:
                running = f" while running {md_text(w.crashed_test)}" if w.crashed_test else ""
                notes.append(f"crashed{running}")
            if w.restarts:
                notes.append(f"restarted {plural(w.restarts, 'time')}")
            note = "; ".join(notes)
            lines.append(_row(md_text(s.name), md_text(w.id), w.done, w.passed, w.failed, note))
    return "\n".join(lines)


def _failure(suite: SuiteState, test: TestResult, root: Path) -> str:
    label = "unreported error" if test.unreported else test.outcome
    head = (
        f"**{md_text(suite.name)}** {md_text(test.nodeid)} ({label} on {md_text(test.worker)}): "
        f"{md_text(test.reason())}"
    )
    tb = short_traceback(test.record, suite.rootdir or str(root))
    return f"{head}\n\n{code_block(tb)}\n" if tb else f"{head}\n"


ERROR_LINES = 12
"""Lines of a suite error's text in the summary (the end: a traceback ends with its reason)."""


def _suite_error(error: SuiteError) -> str:
    where = f" in {md_text(error.nodeid)}" if error.nodeid else ""
    lines = error.text.strip().splitlines()[-ERROR_LINES:]
    body = code_block(line[:TEXT_CHARS] for line in lines)
    return f"**{md_text(error.suite.name)}** {error.kind}{where}:\n\n{body}\n"


NOT_RUN_SHOWN = 5
"""Test ids named per suite under "Not run" (all are in summary.json)."""


def _not_run(suite: SuiteState) -> str:
    head = (
        f"- **{md_text(suite.name)}** {plural(len(suite.not_run), 'test')} not run, "
        f"{len(suite.interrupted)} interrupted (the run ended early)"
    )
    ids = [*suite.interrupted, *suite.not_run]
    named = [f"  - {md_text(nodeid)}" for nodeid in ids[:NOT_RUN_SHOWN]]
    if len(ids) > NOT_RUN_SHOWN:
        named.append(f"  - and {len(ids) - NOT_RUN_SHOWN} more")
    return "\n".join([head, *named])


def _test_line(suite: SuiteState, test: TestResult, note: str) -> str:
    return f"- **{md_text(suite.name)}** {md_text(test.nodeid)}: {note}"


def job_summary(
    state: RunState,
    root: Path,
    now: float,
    exit_code: int,
    notes: Iterable[str] = (),
    limit: int = LIMIT_BYTES,
) -> str:
    """The run's summary in Markdown, at most `limit` bytes: without room for its heading and
    suite table, one line saying so, and "" without room for that either.

    Args:
        state: The run, as its reports were written from it.
        root: The project's root (short tracebacks name files relative to a suite's rootdir,
            else this).
        now: The wall clock, for suites' times.
        exit_code: zenboard's exit code for the run.
        notes: Lines said after the tables (a budget exceeded, a report not written).
        limit: Bytes the summary may take.
    """
    suites = [s for s in state.suites.values() if s.runs]
    out = _Budget(limit)
    verdict = "passed" if exit_code == 0 else f"exit code {exit_code}"
    head = f"## zenboard: {verdict}\n"
    table = _suite_table(suites, now) + "\n"
    if not out.fits(head + "\n" + table, reserve=0):  # a summary file others nearly filled
        brief = f"**zenboard: {verdict}** (no room left here for its summary: see the run's log)"
        return brief + "\n" if out.fits(brief, reserve=0) else ""
    out.add(head)
    out.add(table)
    for note in notes:
        line = f"- {md_text(note, 1000)}"
        if out.fits(line, reserve=0):
            out.add(line)
    errors = suite_errors(state)
    heading = f"\n### Suite errors ({len(errors)})\n"
    out.add_list(heading, map(_suite_error, errors), len(errors), "suite errors")
    crashed = [
        f"- **{md_text(s.name)}** worker {md_text(w.id)} crashed while running "
        f"{md_text(w.crashed_test or '?')}" + (f" ({md_text(w.timed_out)})" if w.timed_out else "")
        for s in suites
        for w in s.crashed_workers
    ]
    out.add_list("\n### Crashed workers\n", crashed, len(crashed), "crashed workers")
    failed = list(counted_failures(state))
    failures = (_failure(s, t, root) for s, t in failed)
    heading = f"\n### Failures ({len(failed)})\n"
    out.add_list(heading, failures, len(failed), "failures", AFTER_FAILURES_BYTES)
    incomplete = [_not_run(s) for s in suites if s.incomplete]
    out.add_list("\n### Not run\n", incomplete, len(incomplete), "suites")
    flaky = [
        _test_line(s, t, f"passed on attempt {t.attempts}")
        for s in suites
        for t in s.tests.values()
        if t.flaky
    ]
    out.add_list(f"\n### Flaky ({len(flaky)})\n", flaky, len(flaky), "flaky tests")
    quarantined = [
        _test_line(s, t, f"{t.outcome} (quarantined: did not fail the run)")
        for s in suites
        for t in s.quarantined_failures()
    ]
    heading = f"\n### Quarantined ({len(quarantined)})\n"
    out.add_list(heading, quarantined, len(quarantined), "quarantined tests")
    ranked = sorted(
        ((t.duration, s, t) for s in suites for t in s.tests.values()),
        key=lambda item: item[0],
        reverse=True,
    )[:SLOWEST_SHOWN]
    slowest = [_test_line(s, t, f"{seconds:.2f} s") for seconds, s, t in ranked]
    out.add_list("\n### Slowest tests\n", slowest, len(slowest), "slow tests")
    workers = _worker_table(suites)
    if out.fits(workers):
        out.add("\n### Workers\n")
        out.add(workers)
    return out.text()
