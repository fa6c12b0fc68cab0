"""How a pytest suite becomes a command line and an environment (xdist, the JSON report)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from zenboard import safefs
from zenboard.config import SuiteConfig, inherited_environment
from zenboard.engine.commands.suite_command import SuiteCommand
from zenboard.errors import InputError
from zenboard.wire import ENV_REPEAT, ENV_SELECT

REQUIRED_MODULES = ("pytest", "xdist", "pytest_jsonreport")
RETRY_MODULE = "pytest_rerunfailures"
"""What runs a suite's `retries` (`--reruns N`): only suites with retries need it."""
SELECT_VAR = ENV_SELECT
"""The selection file the plugin reads (zenboard.plugins.events.SELECT_VAR)."""
ARGFILE_THRESHOLD = 100
"""More nodeids than this go into a pytest `@argsfile` instead of the command line."""


def interpreter(suite: SuiteConfig) -> str:
    return suite.python or sys.executable


def required_modules(suite: SuiteConfig) -> tuple[str, ...]:
    """The modules the suite's interpreter must have (pytest-rerunfailures for retries)."""
    return (*REQUIRED_MODULES, RETRY_MODULE) if suite.retries else REQUIRED_MODULES


def check_interpreter(suite: SuiteConfig) -> None:
    """Refuse (exit 2) an interpreter that lacks pytest, pytest-xdist or pytest-json-report
    (or pytest-rerunfailures, for a suite with retries)."""
    python = interpreter(suite)
    if python == sys.executable:
        missing = [m for m in required_modules(suite) if importlib.util.find_spec(m) is None]
    else:
        modules = (*required_modules(suite), "zenboard")
        probe = (
            "import importlib.util as u;"
            f"print(' '.join(m for m in {modules!r} if u.find_spec(m) is None))"
        )
        try:
            done = subprocess.run(
                [python, "-c", probe], capture_output=True, text=True, timeout=30, check=False
            )
        except OSError as exc:
            raise InputError(
                f"suite {suite.name}: python {python!r} cannot run: {exc.strerror}"
            ) from None
        if done.returncode != 0:
            raise InputError(
                f"suite {suite.name}: python {python!r} failed: {done.stderr.strip()[-200:]}"
            )
        missing = done.stdout.split()
    if missing:
        names = {
            "xdist": "pytest-xdist",
            "pytest_jsonreport": "pytest-json-report",
            RETRY_MODULE: "pytest-rerunfailures",
        }
        raise InputError(
            f"suite {suite.name}: {python} lacks {', '.join(names.get(m, m) for m in missing)}"
            f" (install zenboard into that environment: pip install /path/to/zenboard)"
        )


def to_invocation_arg(nodeid: str, rootdir: str, cwd: Path) -> str:
    """A nodeid (relative to pytest's rootdir) as an argument valid from the suite's cwd."""
    if not rootdir:
        return nodeid
    path, sep, rest = nodeid.partition("::")
    relative = os.path.relpath(Path(rootdir) / path, cwd)
    return relative + sep + rest


HANDFUL = 8
"""A run of at most this many tests goes without xdist: its workers' start-up (a second or two
each on a small machine) would cost more than the tests."""


def rerun_workers(suite: SuiteConfig, nodeids: tuple[str, ...]) -> int | str:
    """The xdist workers for a run of `nodeids`: no more than it has tests, none for a handful.

    Only for a selection of test ids (a rerun of some tests, a shard's slice): a path in it may
    hold any number of tests, so such a selection keeps the suite's own workers.
    """
    if not nodeids or any("::" not in n for n in nodeids) or suite.workers == 0:
        return suite.workers
    repeat = suite.env.get(ENV_REPEAT, "")
    tests = len(nodeids) * (int(repeat) if repeat.isdigit() else 1)
    if tests <= HANDFUL and not repeat:  # a stress run spreads its repetitions, however few
        return 0
    configured = (os.cpu_count() or 1) if suite.workers == "auto" else int(suite.workers)
    return min(configured, tests)


def xdist_options(suite: SuiteConfig, workers: int | str) -> list[str]:
    """`-n` and `--dist` as the suite runs them (no `--dist` without workers)."""
    options = ["-n", str(workers)]
    if suite.dist and workers != 0:
        options += ["--dist", suite.dist]
    return options


def uses_xdist(argv: tuple[str, ...] | list[str]) -> bool:
    """Whether a pytest command line runs xdist workers: its last `-n` (zenboard's, after the
    suite's own args) is not `0`."""
    for i in range(len(argv) - 2, -1, -1):
        if argv[i] == "-n":
            return argv[i + 1] != "0"
    return False


TIMEOUT_PLUGIN = "zenboard.plugins.timeout"


def timeout_options(suite: SuiteConfig) -> list[str]:
    """zenboard's timeout plugin and the suite's `timeout`, when it sets one."""
    if suite.timeout is None:
        return []
    return ["-p", TIMEOUT_PLUGIN, f"--zenboard-timeout={suite.timeout:g}"]


def build_pytest_command(
    suite: SuiteConfig,
    report_file: Path,
    nodeids: tuple[str, ...] = (),
    rootdir: str = "",
    scratch: Callable[[], Path] | None = None,
    extra_env: dict[str, str] | None = None,
) -> SuiteCommand:
    """The pytest command for `suite`, optionally restricted to `nodeids`.

    Args:
        suite: The suite's configuration.
        report_file: Where pytest-json-report's report goes.
        nodeids: Run only these tests (ids as the report names them); empty runs the suite.
        rootdir: pytest's rootdir, which node ids are relative to ("" when they need no change).
        scratch: Makes (once) and returns the run's private scratch dir, which gets the
            `@argsfile` of a long selection and the selection file the plugin reads (None: the
            ids go on the command line and the selection is not made exact).
        extra_env: Variables for the suite's environment (the task's ports, say); the suite's
            own `env` wins over them.
    """
    argv: list[str] = [interpreter(suite), "-m", "pytest", *suite.args]
    selection: dict[str, str] = {}
    if nodeids:
        args = [to_invocation_arg(n, rootdir, suite.cwd) for n in nodeids]
        if len(args) > ARGFILE_THRESHOLD and scratch is not None:
            argfile = scratch() / f"{suite.name}-nodeids.txt"
            safefs.write_atomic(argfile, "\n".join(args) + "\n")
            argv.append(f"@{argfile}")
        else:
            argv += args
        if scratch is not None and all("\n" not in a for a in args):
            # The arguments narrow collection; this file makes the selection exact (pytest 9
            # collects a path in the suite's own args whole beside them).
            chosen = scratch() / f"{suite.name}-selection.txt"
            safefs.write_atomic(chosen, "\n".join(args) + "\n")
            selection[SELECT_VAR] = str(chosen)
    argv += xdist_options(suite, rerun_workers(suite, nodeids))
    argv += ["--json-report", f"--json-report-file={report_file}", "--json-report-omit=log"]
    argv.append("--json-report-verbosity=0")  # its one line, even under -q: saved, or why not
    if suite.retries:
        argv.append(f"--reruns={suite.retries}")
    argv += timeout_options(suite)
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        argv += [
            "-p",
            "xdist.plugin",
            "-p",
            "pytest_jsonreport.plugin",
            "-p",
            "zenboard.plugins.events",
        ]
        if suite.retries:
            argv += ["-p", RETRY_MODULE]
    env = {**inherited_environment(), **(extra_env or {}), **suite.env, **selection}
    if not selection:
        env.pop(SELECT_VAR, None)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    return SuiteCommand(argv=tuple(argv), cwd=suite.cwd, env=env, report_file=report_file)
