"""`zenboard demo`: copy the bundled demo project and run it (dashboard or headless).

The copy lives once per user in `$XDG_CACHE_HOME/zenboard/demo` (`~/.cache/zenboard/demo`) and
later demos reuse it (its history grows run after run); it is replaced, whole, when zenboard's
demo changes. `--dir DIR` puts a copy where you say instead. The copy is its own task,
`zenboard-demo-<hash of its path>` (never a name a project of the user's could have): its
services (compose.yaml) start as the demo opens and are taken down when it quits, and the ports
the run claims for it (the services', its e2e suite's workers') are given back, however it
quits. Without Docker the services' panel says why, and every suite that needs none runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from zenboard.commands import path_arg
from zenboard.errors import InputError

if TYPE_CHECKING:
    from zenboard.config import ProjectConfig

PROJECT = "none"
"""The demo makes its own project: no `--project` (see cli._project)."""
NAME = "demo"
HELP = (
    "copy the bundled demo project (one copy per user, reused) and open the dashboard on it"
    " (--headless: run it as CI would)"
)
WRITES = (
    "Copies the demo to $XDG_CACHE_HOME/zenboard/demo (default ~/.cache/zenboard/demo): one "
    "copy per user, reused by later demos and replaced when zenboard's demo changes (--dir: "
    "a copy there instead). Runs `npm ci` in the copy's frontend/ when Node is present, and "
    "writes the runs' reports and history in the copy's .zenboard/. It starts the copy's "
    "Compose services (its own task, zenboard-demo-<hash>) and takes them down when it quits; "
    "the ports it claims in the port registry are given back when the demo quits."
)
DEMO_SOURCE = Path(__file__).resolve().parent.parent / "demo" / "project"
MARKER = ".zenboard-demo"
"""The file that marks a directory as a demo copy (and names the demo it was copied from)."""
_IGNORED = shutil.ignore_patterns(
    "__pycache__", ".pytest_cache", ".zenboard", ".zenflow", "node_modules", "test-results"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=path_arg,
        metavar="DIR",
        help="where to copy the demo (default: the user's one copy, $XDG_CACHE_HOME/zenboard/demo)",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run it like `zenboard run --ci` instead of opening the dashboard",
    )
    parser.add_argument("--no-run", action="store_true", help="open the dashboard idle")


def user_copy_dir() -> Path:
    """The user's one demo copy: `$XDG_CACHE_HOME/zenboard/demo`, else `~/.cache/...`.

    A cache, not the temp dir: it is the user's own (no name another user could take first in
    a shared `/tmp`), it survives a reboot, and nothing else sweeps it away under a run.
    """
    cache = os.environ.get("XDG_CACHE_HOME") or ""
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "zenboard" / "demo"


def source_fingerprint() -> str:
    """A digest of the demo's files as shipped: a copy made from other files is out of date."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(DEMO_SOURCE):
        ignored = _IGNORED(directory, [*dirs, *files])
        dirs[:] = sorted(d for d in dirs if d not in ignored)
        for name in sorted(f for f in files if f not in ignored):
            path = Path(directory, name)
            digest.update(path.relative_to(DEMO_SOURCE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _marker_text(fingerprint: str) -> str:
    return f"copied by zenboard demo\nsource {fingerprint}\n"


def is_demo_copy(target: Path) -> bool:
    return (target / "pyproject.toml").is_file() and (target / MARKER).is_file()


def _is_current(target: Path, fingerprint: str) -> bool:
    """`target` is a demo copy made from the demo as it is now."""
    if target.is_symlink() or not is_demo_copy(target):
        return False
    try:
        return (target / MARKER).read_text(encoding="utf-8") == _marker_text(fingerprint)
    except (OSError, UnicodeDecodeError):
        return False


def _copy_into(target: Path, fingerprint: str, option: str) -> None:
    """Copy the demo into `target` (missing or empty) and mark it; faults are one line."""
    from zenboard import safefs

    try:
        shutil.copytree(DEMO_SOURCE, target, ignore=_IGNORED, dirs_exist_ok=True)
        safefs.write_atomic(target / MARKER, _marker_text(fingerprint), root=target)
    except shutil.Error as exc:  # the copy's faults, one (source, target, why) per file
        first = exc.args[0][0] if exc.args and exc.args[0] else ("", target, str(exc))
        raise InputError(f"{option}the demo could not be copied: {first[1]}: {first[2]}") from None
    except OSError as exc:
        raise InputError(f"{option}the demo could not be copied: {safefs.describe(exc)}") from None


def copy_demo(target: Path | None) -> Path:
    """Copy the demo project to `target` (which must be empty, missing, or a demo copy already)
    and return it; None: the user's one copy, reused while it is current."""
    if target is None:
        return _user_copy(user_copy_dir())
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        if is_demo_copy(target):
            return target  # a demo copied before, maybe since changed by its user: reuse it
        raise InputError(f"--dir {target}: expected a new or empty directory")
    _copy_into(target, source_fingerprint(), "--dir: ")
    return target


def _user_copy(target: Path) -> Path:
    """The user's copy at `target`, made (or remade) when missing or out of date.

    The new copy is made beside it and renamed into place, so a demo that stops half-way
    leaves no half copy to reuse; an out-of-date copy is moved aside, then removed.
    """
    fingerprint = source_fingerprint()
    if _is_current(target, fingerprint):
        return target
    if target.is_symlink() or (target.exists() and not is_demo_copy(target)):
        raise InputError(
            f"{target} is not a copy zenboard made: remove it, or name a directory with --dir"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=target.parent))
    except OSError as exc:
        where = target.parent
        raise InputError(f"{where}: no place for the demo's copy ({exc.strerror})") from None
    try:
        _copy_into(staging, fingerprint, "")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
            target.rename(old / target.name)
            shutil.rmtree(old, ignore_errors=True)
        staging.rename(target)
    except OSError:
        if not _is_current(target, fingerprint):  # not another demo's copy, made meanwhile
            raise InputError(f"{target}: the demo could not be copied there") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def run(args: argparse.Namespace) -> int:
    from zenboard.tasks.identity import ENV_VAR
    from zenboard.textsafe import visible

    def say(line: str) -> None:
        print(visible(line), flush=True)

    target = copy_demo(args.dir)
    print(f"demo project: {target}", flush=True)
    # The copy is its own task, never the caller's: under a task's ZENFLOW_TASK_ID its ports
    # would be claimed in that task's name (and given back, that task's, at the end).
    outer_task = os.environ.pop(ENV_VAR, None)
    task = demo_task(target)
    try:
        return _run(target, task, args, say)
    finally:
        _take_down(target, task, say)
        _give_back_ports(target, say)
        if outer_task is not None:
            os.environ[ENV_VAR] = outer_task


def demo_task(target: Path) -> str:
    """The copy's task id: one per copy, and no name a project of the user's could have (its
    Compose project is taken down when the demo quits)."""
    digest = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:8]
    return f"zenboard-demo-{digest}"


def _run(target: Path, task: str, args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from zenboard.onboarding.npm_setup import prepare_demo_e2e

    # Lines may quote npm's output: shown, never obeyed. npm is announced before it starts.
    for line in prepare_demo_e2e(target, say):
        say(line)
    if args.headless:
        from zenboard.config import load_config
        from zenboard.headless.run import HeadlessRun, RunOptions

        config = load_config(target)
        env = _services_up(config, task, say)
        return HeadlessRun(config, config.suites, RunOptions(ci=True, extra_env=env)).run()
    from zenboard.commands.launch import launch_dashboard

    say("==> opening the dashboard (q quits); the demo's services start with it")
    return launch_dashboard(target, run_at_start=not args.no_run, task=task, up=True)


def _services_up(config: ProjectConfig, task: str, say: Callable[[str], None]) -> dict[str, str]:
    """Headless: the copy's services started (`up -d`); a fault is a line, not the end (the
    suite that needs them then says why, and the others run). The task's variables."""
    from zenboard.tasks.compose.lifecycle import ServicesFailed, bring_up
    from zenboard.tasks.taskenv import prepare_task

    setup = prepare_task(config, task)
    say("==> the demo's services (docker compose up -d)")
    try:
        bring_up(config, setup, (), None, say)
    except (InputError, ServicesFailed) as exc:
        say(f"demo: services not started: {exc}")
    return dict(setup.env)


def _take_down(target: Path, task: str, say: Callable[[str], None]) -> None:
    """The copy's containers and networks removed: a demo leaves nothing running."""
    from zenboard.config import load_config
    from zenboard.tasks.compose.lifecycle import ServicesFailed, take_down
    from zenboard.tasks.taskenv import prepare_task

    try:
        config = load_config(target)
        take_down(config, prepare_task(config, task), True, lambda line: None)
    except (InputError, ServicesFailed) as exc:
        say(f"demo: no services to take down ({exc})")
        return
    say("demo: its services are down (docker compose down)")


def _give_back_ports(target: Path, say: Callable[[str], None]) -> None:
    """Release every claim the port registry holds for the copy: a demo leaves none behind."""
    from zenboard.tasks.ports import release_worktree

    try:
        release_worktree(target)
    except InputError as exc:
        say(f"demo: its ports stay claimed: {exc}")
