"""A worktree's last run in a few fields, for `zenboard tasks`: verdict, when, counts.

Another worktree's `summary.json` is trusted for nothing: it is opened without following a
symlink, read only when it is a regular file of bounded size, and checked as `merge` checks
its inputs. Whatever is wrong with it becomes the `error` of that one task's row, never a
failure of the whole listing.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from zenboard.errors import InputError
from zenboard.records.merge import check_summary

REPORT_DIR = Path(".zenboard") / "reports" / "latest"
"""Where `run`, `launch` and `demo` write a run's reports unless told otherwise."""
MAX_BYTES = 64 * 1024 * 1024
VERDICTS = {0: "passed", 1: "failed", 5: "no tests"}
"""A run's exit code (`summary.json`'s `exit_code`) in a word."""


def last_run(worktree: Path) -> dict[str, Any] | None:
    """The last run recorded in `worktree` (None: none recorded there).

    `{"verdict", "exit_code", "finished_at" (ISO 8601, the file's time), "finished_epoch",
    "counts" (summed over suites), "suites"}`, or `{"error": why}` when it cannot be read.
    """
    path = worktree / REPORT_DIR / "summary.json"
    try:
        text, mtime = _read_bounded(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"error": f"cannot read {path}: {exc.strerror or exc}"}
    try:
        data = check_summary(path, json.loads(text))
    except InputError as exc:
        return {"error": str(exc)}
    except (ValueError, RecursionError) as exc:
        return {"error": f"{path}: not valid JSON ({str(exc)[:200]})"}
    counts: dict[str, int] = {}
    for suite in data["suites"]:
        for key, value in suite.get("counts", {}).items():
            if type(value) is int:
                counts[key] = counts.get(key, 0) + value
    exit_code = int(data["exit_code"])
    return {
        "verdict": VERDICTS.get(exit_code, "failed"),
        "exit_code": exit_code,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(mtime)),
        "finished_epoch": round(mtime, 3),
        "counts": counts,
        "suites": [str(s["name"]) for s in data["suites"]],
    }


def _read_bounded(path: Path) -> tuple[str, float]:
    """The file's text and modification time: a regular file (never through a symlink at its
    last step), at most `MAX_BYTES`, UTF-8."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file")
        if info.st_size > MAX_BYTES:
            raise OSError(0, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        data = handle.read(MAX_BYTES + 1)
    try:
        return data.decode("utf-8"), info.st_mtime
    except UnicodeDecodeError:
        raise OSError(0, "not UTF-8 text") from None
