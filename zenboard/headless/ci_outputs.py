"""What `run` leaves for the CI besides its reports: the job summary and annotations.

Under GitHub Actions (`GITHUB_ACTIONS=true`) with `--ci`, the summary is appended to
`$GITHUB_STEP_SUMMARY` (other steps write there too) and the first failures are annotated;
`--summary-md FILE` writes the same summary for any CI. A file that cannot be written is one
line and the run goes on; the run's exit code is then not 0.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from zenboard import safefs
from zenboard.headless.github import GitHubEnv, failure_annotations, workspace_of
from zenboard.headless.job_summary import LIMIT_BYTES, job_summary
from zenboard.model.state import RunState


@dataclass
class CiOutputs:
    """The lines to print, and the files that could not be written."""

    lines: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)


def append_summary(path: Path, text: str) -> None:
    """Append `text` to a step summary file (never through a symlink)."""
    fd = safefs.open_below(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(fd, data) :]
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        os.close(fd)


def _used_in(path: Path) -> int:
    """Bytes a step summary file already holds (others of the step may have written it)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def write_ci_outputs(
    state: RunState,
    root: Path,
    exit_code: int,
    github: GitHubEnv | None,
    summary_md: Path | None,
    notes: Iterable[str] = (),
) -> CiOutputs:
    """Write the job summary where asked and return the annotation lines to print."""
    done = CiOutputs()
    notes = list(notes)
    now = time.time()
    if summary_md is not None:
        try:
            safefs.write_atomic(summary_md, job_summary(state, root, now, exit_code, notes))
        except OSError as exc:
            done.faults.append(f"summary: could not be written: {safefs.describe(exc)}")
    if github is None:
        return done
    if github.step_summary is not None:
        used = _used_in(github.step_summary)
        text = job_summary(state, root, now, exit_code, notes, limit=max(0, LIMIT_BYTES - used))
        if not text:  # not even one line fits: any more and GitHub refuses the whole summary
            done.faults.append(
                f"job summary: not written: $GITHUB_STEP_SUMMARY already holds {used} bytes"
                " of GitHub's 1 MiB"
            )
        else:
            try:
                append_summary(github.step_summary, text)
            except OSError as exc:
                done.faults.append(f"job summary: could not be written: {safefs.describe(exc)}")
    done.lines += failure_annotations(state, root, workspace_of(github, root))
    return done
