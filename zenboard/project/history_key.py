"""Which project a run belongs to in a history several projects may share (one PostgreSQL).

The key must be the same for every checkout of one repository (worktrees, CI clones, a
colleague's machine) and differ between unrelated repositories, so it is never an absolute
path. In order: the configuration's `project` name; else the git remote's URL, reduced to
`host/path` (no scheme, user, password or port: `https://ci:token@github.com/org/app.git` and
`git@github.com:org/app.git` are both `github.com/org/app`), with the project's folder in the
repository appended when it is not the top (two projects of a monorepo stay apart); else the
project folder's name.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from zenboard.project.git import git_output, git_toplevel


def history_key(root: Path, configured: str | None = None) -> str:
    """The key `root`'s runs are recorded under (see the module's docstring)."""
    if configured:
        return configured
    remote = _remote_url(root)
    if remote is None:
        return root.resolve().name
    key = normalised_remote(remote)
    top = git_toplevel(root)
    resolved = root.resolve()
    if top is not None and resolved != top.resolve() and resolved.is_relative_to(top.resolve()):
        key += "/" + resolved.relative_to(top.resolve()).as_posix()
    return key


def _remote_url(root: Path) -> str | None:
    """`origin`'s URL, else the first remote's (None: no remote, or not a repository)."""
    url = git_output(root, "config", "--get", "remote.origin.url")
    if url is not None:
        return url
    names = git_output(root, "remote")
    if names is None:
        return None
    return git_output(root, "remote", "get-url", names.splitlines()[0])


def normalised_remote(url: str) -> str:
    """A remote URL as `host/path`: lower-case host, no scheme, credentials, port or `.git`."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path
    elif ":" in url.split("/", 1)[0]:  # scp-like: [user@]host:path
        where, _, path = url.partition(":")
        host = where.rpartition("@")[2].lower()
    else:  # a local path used as a remote
        host, path = "", url
    path = path.strip("/")
    path = path.removesuffix(".git").rstrip("/").lstrip("~")
    return f"{host}/{path.strip('/')}" if host else path
