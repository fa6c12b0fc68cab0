"""How a suite becomes a command line and an environment: pytest, or Playwright.

`build_suite_command` is what the engine runs; `command_preview` is the same command as a person
would type it (the cards of suites not yet run), made from the same option builders.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from zenboard.config import SuiteConfig
from zenboard.engine.commands.playwright import build_playwright_command, playwright_options
from zenboard.engine.commands.pytest import build_pytest_command, xdist_options
from zenboard.engine.commands.suite_command import SuiteCommand

__all__ = ["SuiteCommand", "build_suite_command", "command_preview"]


def build_suite_command(
    suite: SuiteConfig,
    report_file: Path,
    nodeids: tuple[str, ...] = (),
    rootdir: str = "",
    scratch: Callable[[], Path] | None = None,
    extra_env: dict[str, str] | None = None,
    project_root: Path | None = None,
) -> SuiteCommand:
    """The command for `suite`, by its kind.

    Args:
        suite: the suite's configuration.
        report_file: where the run's JSON report goes (pytest-json-report's, Playwright's).
        nodeids: run only these tests (ids as the report names them); empty runs the suite.
        rootdir: pytest's rootdir, which node ids are relative to ("" when they need no change).
        scratch: makes (once) and returns the run's private scratch dir for argument files.
        extra_env: variables for the suite's environment (the task's ports, say).
        project_root: the project's root (Playwright: where the port registry is found).
    """
    if suite.kind == "playwright":
        return build_playwright_command(
            suite, report_file, nodeids, scratch, extra_env, project_root
        )
    return build_pytest_command(suite, report_file, nodeids, rootdir, scratch, extra_env)


def command_preview(suite: SuiteConfig) -> str:
    """The suite's command as a person would type it: `pytest ...` or `npx playwright test ...`."""
    if suite.kind == "playwright":
        return shlex.join(["npx", "playwright", "test", *playwright_options(suite)])
    return shlex.join(["pytest", *suite.args, *xdist_options(suite, suite.workers)])
