"""GitHub Actions workflow commands: annotations on the failing lines of a pull request.

Under `GITHUB_ACTIONS=true`, `run --ci` prints `::error file=...,line=...,title=...::message`
for the first failures, so they show on the pull request's diff. Every text in a command comes
from a test (its id, its failure message), so it is escaped as GitHub reads it: a newline in a
message must not end the command and start another one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.model.state import RunState, SuiteState, TestResult
from zenboard.words import plural

ANNOTATIONS_SHOWN = 10
"""Failures annotated at most; GitHub shows 10 error annotations per step anyway."""
MESSAGE_CHARS = 1000
"""Longest annotation message (the failure's message, not its traceback)."""
MESSAGE_LINES = 5
"""Lines of a failure's message kept in its annotation (`boom` and the lines after it)."""
_PHASES = ("setup", "call", "teardown", "???")


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF escaped, as GitHub's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value (`file=`, `title=`): also `:` and `,`, which end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class GitHubEnv:
    """What a GitHub Actions job tells its steps, from their environment."""

    workspace: Path | None
    """`$GITHUB_WORKSPACE`: annotation paths are relative to it."""
    step_summary: Path | None
    """`$GITHUB_STEP_SUMMARY`: the file the step's job summary is appended to."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubEnv | None:
        """The job's settings, or None outside GitHub Actions (`GITHUB_ACTIONS` is not `true`)."""
        if env.get("GITHUB_ACTIONS") != "true":
            return None
        workspace = env.get("GITHUB_WORKSPACE")
        summary = env.get("GITHUB_STEP_SUMMARY")
        return cls(Path(workspace) if workspace else None, Path(summary) if summary else None)


def _inside(path: str, base: str, workspace: Path) -> str | None:
    """`path` (absolute, or relative to `base`) relative to `workspace`; None when outside or
    in an installed package (a library's line is not the one to fix)."""
    full = os.path.realpath(os.path.join(base, path))
    relative = os.path.relpath(full, os.path.realpath(workspace))
    if relative.startswith("..") or os.path.isabs(relative):
        return None
    if "site-packages" in Path(relative).parts or "node_modules" in Path(relative).parts:
        return None
    return relative


def location(test: TestResult, rootdir: str, workspace: Path) -> tuple[str, int | None] | None:
    """The file and line to annotate: the crash's, else the innermost traceback entry in the
    workspace, else the test's own file (no line); None when none is in the workspace."""
    for phase in _PHASES:
        stage = test.record.get(phase)
        if not isinstance(stage, dict) or stage.get("outcome") != "failed":
            continue
        crash = stage.get("crash")
        entries = stage.get("traceback")
        candidates = [crash] if isinstance(crash, dict) else []
        candidates += reversed(entries) if isinstance(entries, list) else []
        for entry in candidates:
            if not isinstance(entry, dict) or not entry.get("path"):
                continue
            shown = _inside(str(entry["path"]), rootdir, workspace)
            lineno = entry.get("lineno")
            if shown is not None:
                return shown, lineno if isinstance(lineno, int) and lineno > 0 else None
        break
    own = _inside(test.nodeid.split("::", 1)[0], rootdir, workspace)
    return (own, None) if own else None


def message_of(test: TestResult) -> str:
    """The failure's message for an annotation: its crash message's first lines (a message can
    span several, as `RuntimeError("boom\\nsecond line")` does), else the one-line reason."""
    for phase in _PHASES:
        stage = test.record.get(phase)
        if not isinstance(stage, dict) or stage.get("outcome") != "failed":
            continue
        crash = stage.get("crash")
        text = str(crash.get("message") or "").strip() if isinstance(crash, dict) else ""
        if text:
            kept = "".join(text.splitlines(keepends=True)[:MESSAGE_LINES])  # CR LF kept as is
            return kept.rstrip()[:MESSAGE_CHARS]
        break
    return test.reason()[:MESSAGE_CHARS]


def annotation(test: TestResult, suite: SuiteState, root: Path, workspace: Path) -> str:
    """`::error file=...,line=...,title=...::reason` for one failed test."""
    where = location(test, suite.rootdir or str(root), workspace)
    props = []
    if where is not None:
        props.append(f"file={escape_property(where[0])}")
        if where[1] is not None:
            props.append(f"line={where[1]}")
    props.append(f"title={escape_property(f'[{suite.name}] {test.nodeid}')}")
    message = f"{test.outcome}: {message_of(test)}"
    return f"::error {','.join(props)}::{escape_data(message)}"


@dataclass(frozen=True)
class SuiteError:
    """Why a suite could not complete, or ran nothing: no test's failure says it."""

    suite: SuiteState
    kind: str
    """`collection error`, `error` (pytest stopped, or died) or `no tests`."""
    nodeid: str
    """What failed to collect (a file, relative to the suite's rootdir); "" for the others."""
    text: str


def suite_errors(state: RunState) -> list[SuiteError]:
    """Every suite's collection errors and own error, and the suites that selected no test
    though they do not allow it, in the suites' order."""
    empty = {s.name for s in state.empty_suites()}
    found = []
    for suite in state.suites.values():
        if not suite.runs:
            continue
        for nodeid, longrepr in suite.collect_errors:
            found.append(SuiteError(suite, "collection error", nodeid, longrepr))
        if suite.error:
            found.append(SuiteError(suite, "error", "", suite.error))
        if suite.name in empty:
            text = "selected no tests (allow_empty = true accepts this)"
            found.append(SuiteError(suite, "no tests", "", text))
    return found


def error_message(text: str, lines: int = MESSAGE_LINES, chars: int = MESSAGE_CHARS) -> str:
    """A suite error's reason: a traceback's `E   ` lines (its exception), else its last lines."""
    kept = text.strip().splitlines()
    reasons = [line[1:].strip() for line in kept if line.startswith("E ")]
    return "\n".join(reasons[-lines:] or kept[-lines:])[:chars]


def error_annotation(error: SuiteError, root: Path, workspace: Path) -> str:
    """`::error file=...,title=...::reason` for a suite error; a collection error names its file."""
    suite = error.suite
    props = []
    if error.nodeid:
        shown = _inside(error.nodeid.split("::", 1)[0], suite.rootdir or str(root), workspace)
        if shown is not None:
            props.append(f"file={escape_property(shown)}")
    what = f"{error.kind} {error.nodeid}" if error.nodeid else error.kind
    props.append(f"title={escape_property(f'[{suite.name}] {what}')}")
    return f"::error {','.join(props)}::{escape_data(error_message(error.text))}"


def counted_failures(state: RunState) -> Iterator[tuple[SuiteState, TestResult]]:
    """Every failed or errored test that fails the run (quarantined ones do not), in order."""
    for suite in state.suites.values():
        for test in suite.tests.values():
            if test.failed and not test.quarantined:
                yield suite, test


def failure_annotations(
    state: RunState, root: Path, workspace: Path, shown: int = ANNOTATIONS_SHOWN
) -> list[str]:
    """The suite errors' annotations, then the failures', `shown` at most, then a notice with
    the total when there are more."""
    errors = suite_errors(state)
    failures: list[tuple[SuiteState, TestResult]] = list(counted_failures(state))
    lines = [error_annotation(e, root, workspace) for e in errors[:shown]]
    lines += [annotation(t, s, root, workspace) for s, t in failures[: shown - len(lines)]]
    if len(errors) + len(failures) > shown:
        what = f"{len(failures)} tests failed"
        if errors:
            what += f" and {plural(len(errors), 'suite error')}"
        lines.append(
            f"::notice title=zenboard::{what}; the first {shown} are "
            "annotated (all are in the job summary and the reports)"
        )
    return lines


def workspace_of(github: GitHubEnv, root: Path) -> Path:
    """Where annotation paths start: `$GITHUB_WORKSPACE`, else the repository's top, else the
    project's root."""
    if github.workspace is not None:
        return github.workspace
    from zenboard.project.git import git_toplevel

    return git_toplevel(root) or root
