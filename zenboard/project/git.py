"""What git says of the project: its worktree's top, the dir all worktrees share, HEAD.

Every answer is None outside a repository or without git: zenboard works without git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GIT_TIMEOUT = 10.0
"""Seconds any one git call may take before its answer counts as "git cannot tell"."""


def run_git(
    root: Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes] | None:
    """`git -C root args...`, or None when git is missing, cannot start or takes too long."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        return subprocess.run(
            [git, "-C", str(root), *args],
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_output(root: Path, *args: str) -> str | None:
    """The stripped output of a git call that succeeded with some output, else None."""
    done = run_git(root, *args)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.decode(errors="replace").strip() or None


def head_commit(root: Path) -> str | None:
    """`git rev-parse HEAD` in `root`, or None outside a repository (or without git)."""
    return git_output(root, "rev-parse", "HEAD")


def _dot_git(root: Path) -> Path | None:
    """The `.git` (directory, or file of a linked worktree) governing `root`, if any."""
    for directory in (root, *root.parents):
        candidate = directory / ".git"
        if candidate.exists():
            return candidate
    return None


def git_toplevel(root: Path) -> Path | None:
    """The top of the git worktree containing `root`, or None outside git."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        top = git_output(root, "rev-parse", "--show-toplevel")
        return Path(top) if top else None
    dot_git = _dot_git(root.resolve())
    return dot_git.parent if dot_git is not None else None


def git_common_dir(root: Path) -> Path | None:
    """The directory all worktrees of the repository share (`.git` of the main worktree).

    Read from the files git itself uses (`.git` -> `gitdir:` -> `commondir`), which costs
    microseconds instead of a `git` process; anything unusual is left to `git rev-parse`.
    """
    if "GIT_DIR" in os.environ:
        dot_git = None
    else:
        dot_git = _dot_git(root.resolve())
        if dot_git is None:
            return None
    if dot_git is not None:
        try:
            if dot_git.is_dir():
                return dot_git.resolve()
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                gitdir = (dot_git.parent / text[len("gitdir:") :].strip()).resolve()
                commondir = gitdir / "commondir"
                if commondir.is_file():
                    return (gitdir / commondir.read_text(encoding="utf-8").strip()).resolve()
                return gitdir
        except (OSError, UnicodeDecodeError):
            pass
    common = git_output(root, "rev-parse", "--git-common-dir")
    if common is None:
        return None
    path = Path(common)
    return (path if path.is_absolute() else root / path).resolve()


BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BUILDKITE_BRANCH")
"""CI variables naming the branch (a pull request's own first): CI checks out a detached HEAD."""
COMMIT_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT")


def head_branch(root: Path) -> str | None:
    """The branch tested: CI's variable when set, else git's current branch (None when
    detached or outside a repository)."""
    for name in BRANCH_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    branch = git_output(root, "rev-parse", "--abbrev-ref", "HEAD")
    return None if branch == "HEAD" else branch


def commit_tested(root: Path) -> str | None:
    """The commit tested: git's HEAD, else CI's variable (a checkout without `.git`)."""
    return head_commit(root) or next(
        (os.environ[name] for name in COMMIT_VARIABLES if os.environ.get(name)), None
    )
