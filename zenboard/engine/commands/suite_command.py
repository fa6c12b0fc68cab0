"""A suite's command: what to run, where, with which environment, and where its report goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SuiteCommand:
    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    report_file: Path
    unavailable: str = ""
    """Why the suite cannot run on this machine (no Node.js, say); "" when it can."""
    tool: str = "pytest"
    """The runner's name, for messages about a run that stopped early."""
