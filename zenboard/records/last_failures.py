"""The last run's failures, per suite, for `zenboard run --failed`.

They are read from the report dir's `summary.json`, which holds the latest run's rows and each
suite's rootdir; it may come from another job, so it is checked as `merge` checks its inputs
(one line and exit 2 when it cannot be used), and its rootdir is used only when it is a
directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from zenboard.errors import InputError
from zenboard.model.events import FAILED_OUTCOMES
from zenboard.records.merge import read_summary

Selection = dict[str, tuple[tuple[str, ...], str]]
"""suite -> (node ids, pytest's rootdir) as `RunOptions.selection` takes it."""


def last_failures(report_dir: Path) -> Selection:
    """suite -> the tests that failed or errored in the run `report_dir` holds (empty: none)."""
    path = report_dir / "summary.json"
    if not path.is_file():
        raise InputError(f"{path}: no last run to rerun the failures of (run zenboard run first)")
    data = read_summary(path)
    failed: Selection = {}
    for suite in data["suites"]:
        nodeids = tuple(
            dict.fromkeys(
                row["nodeid"] for row in suite["tests"] if row["outcome"] in FAILED_OUTCOMES
            )
        )
        if nodeids:
            rootdir = suite.get("rootdir")
            usable = isinstance(rootdir, str) and os.path.isabs(rootdir) and Path(rootdir).is_dir()
            failed[suite["name"]] = (nodeids, rootdir if usable else "")
    return failed
