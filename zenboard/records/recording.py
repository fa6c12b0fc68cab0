"""What every finished run leaves behind besides its reports: a history row and durations.

Called by the headless run (and any other view) once a run has ended. Faults here are shown,
never fatal: a locked or read-only database costs the history one run, not the user's exit code.
"""

from __future__ import annotations

import socket
from collections.abc import Collection
from pathlib import Path
from typing import Any

from zenboard import safefs
from zenboard.model.state import RunState
from zenboard.project.git import commit_tested, head_branch, head_commit
from zenboard.records import durations, history


def run_meta(root: Path, shard: str | None = None) -> dict[str, Any]:
    """Top-level keys for summary.json: the commit tested (merge refuses mixed ones), the shard."""
    return {"commit": head_commit(root), "shard": shard}


def after_run(
    root: Path,
    state: RunState,
    kind: str,
    exit_code: int,
    partial: Collection[str] = (),
    shard: str | None = None,
    commit: str | None = None,
    started: float | None = None,
    history_url: str | None = None,
    project: str | None = None,
) -> list[str]:
    """Record the run in the history (with the machine, branch and commit that ran it); after a
    full unsharded run, refresh durations.json.

    Returns lines worth showing the user (only problems: success is silent).

    Args:
        root: The project's root (the history and durations live in its state dir).
        state: The model at the end of the run.
        kind: What ran: `run`, `launch` (the dashboard), `verify`, `compare`.
        exit_code: zenboard's exit code for the run.
        partial: Suites that ran only some of their tests.
        shard: The shard, `K/N`, of a sharded run.
        commit: The git commit tested.
        started: When the run started (None: its first suite's start).
        history_url: The shared history's PostgreSQL URL (None: the SQLite file).
        project: The configured `project` name the run is recorded under (None: from git).
    """
    problems: list[str] = []
    record = history.record_from_state(
        state,
        kind,
        exit_code,
        set(partial),
        started,
        commit or commit_tested(root),
        history.task_id(),
        shard,
        machine=socket.gethostname() or None,
        branch=head_branch(root),
    )
    try:
        with history.History(root, history_url, project) as db:
            db.record(record)
    except OSError as exc:  # the file's faults; a database's come out as HistoryUnusable
        problems.append(
            f"history not recorded: {history.unusable(root / history.HISTORY_FILE, exc)}"
        )
    except history.HistoryUnusable as exc:
        problems.append(f"history not recorded: {exc}")
    if kind == "run" and shard is None:
        full = [name for name in state.suites if name not in partial]
        try:
            durations.update(root, durations.from_state(state, full))
        except OSError as exc:
            problems.append(f"durations not written: {safefs.describe(exc)}")
        except durations.OtherVersion as exc:
            problems.append(f"durations not written: {exc}")
    return problems
