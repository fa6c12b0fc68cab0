"""`zenboard demo`: copy the bundled demo project somewhere and run it (dashboard or headless)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from zenboard.commands import path_arg
from zenboard.errors import InputError

PROJECT = "none"
"""The demo makes its own project: no `--project` (see cli._project)."""
NAME = "demo"
HELP = (
    "copy the bundled demo project to DIR and open the dashboard on it"
    " (--headless: run it as CI would)"
)
WRITES = (
    "Copies the demo to a new temporary directory (or --dir), runs `npm ci` in the copy's "
    "frontend/ when Node is present, and writes the runs' reports and history in the copy's "
    ".zenboard/. Its e2e suite claims worker ports in the port registry."
)
DEMO_SOURCE = Path(__file__).resolve().parent.parent / "demo" / "project"
_IGNORED = shutil.ignore_patterns(
    "__pycache__", ".pytest_cache", ".zenboard", ".zenflow", "node_modules", "test-results"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=path_arg,
        metavar="DIR",
        help="where to copy the demo (default: a new temporary directory)",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run it like `zenboard run --ci` instead of opening the dashboard",
    )
    parser.add_argument("--no-run", action="store_true", help="open the dashboard idle")


def copy_demo(target: Path | None) -> Path:
    """Copy the demo project to `target` (which must be empty or missing) and return it."""
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="zenboard-demo-")) / "demo"
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        if (target / "pyproject.toml").is_file() and (target / ".zenboard-demo").is_file():
            return target  # a demo copied before: reuse it
        raise InputError(f"--dir {target}: expected a new or empty directory")
    from zenboard import safefs

    try:
        shutil.copytree(DEMO_SOURCE, target, ignore=_IGNORED, dirs_exist_ok=True)
        safefs.write_atomic(target / ".zenboard-demo", "copied by zenboard demo\n", root=target)
    except shutil.Error as exc:  # the copy's faults, one (source, target, why) per file
        first = exc.args[0][0] if exc.args and exc.args[0] else ("", target, str(exc))
        raise InputError(f"--dir: the demo could not be copied: {first[1]}: {first[2]}") from None
    except OSError as exc:
        raise InputError(f"--dir: the demo could not be copied: {safefs.describe(exc)}") from None
    return target


def run(args: argparse.Namespace) -> int:
    target = copy_demo(args.dir)
    print(f"demo project: {target}", flush=True)
    from zenboard.integrations.npm_setup import prepare_demo_e2e
    from zenboard.textsafe import visible

    def say(line: str) -> None:
        print(visible(line), flush=True)

    # Lines may quote npm's output: shown, never obeyed. npm is announced before it starts.
    for line in prepare_demo_e2e(target, say):
        say(line)
    if args.headless:
        from zenboard.config import load_config
        from zenboard.headless import HeadlessRun

        config = load_config(target)
        return HeadlessRun(config, config.suites, ci=True).run()
    from zenboard.commands.launch import launch_dashboard

    say("==> opening the dashboard (q quits)")
    return launch_dashboard(target, run_at_start=not args.no_run)
