"""Writes that stay in their place: no symlink followed below a root, temp files made like mkstemp.

Below a root (a project, a report dir, a state dir) every directory is opened with `O_NOFOLLOW`
relative to its parent's descriptor, so a symlink planted or swapped in (`summary.json ->
~/.bashrc`) is never followed; links *above* the root are the user's layout and followed. Files
are replaced through a temp file made like `mkstemp`'s in the target's directory, then renamed,
so a reader sees the old file or the new one; a failed write removes its temp file and raises
an `OSError` whose `strerror` says what went wrong, for one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class SymlinkRefused(OSError):
    """A path below a root that is a symlink zenboard did not make."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(errno.ELOOP, "is a symlink; zenboard does not write through it", str(path))


class UnsafeDir(OSError):
    """A state dir that another user could change under zenboard's feet."""

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(errno.EPERM, why, str(path))


def describe(exc: OSError) -> str:
    """`<file>: <reason>` for one line: what failed, and why."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _parts_below(path: Path, root: Path) -> tuple[str, ...]:
    """`path`'s components below `root`, compared as written (absolute, `..` folded)."""
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(root))
    try:
        return absolute.relative_to(base).parts
    except ValueError:
        raise OSError(errno.EXDEV, f"is outside {base}", str(path)) from None


@contextlib.contextmanager
def open_dir(directory: Path, root: Path | None = None, create: bool = True) -> Iterator[int]:
    """A descriptor of `directory`, reached from `root` without following any symlink below it.

    Missing directories are made (mode 0755, less the umask) when `create`; `root` itself is
    made with its parents as usual. Without `root`, `directory` is the root.
    """
    root = directory if root is None else root
    parts = _parts_below(directory, root)
    if create:
        Path(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        walked = Path(os.path.abspath(root))
        for part in parts:
            walked /= part
            parent, fd = fd, -1
            try:
                fd = _step(parent, part, walked, create)
            finally:
                os.close(parent)
        yield fd
    finally:
        if fd >= 0:
            os.close(fd)


def _step(parent: int, name: str, path: Path, create: bool) -> int:
    """Open `name` in `parent` as a directory, never through a symlink."""
    try:
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=parent)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(name, parent):
            raise SymlinkRefused(path) from None
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def write_atomic(
    path: Path, data: str | bytes, root: Path | None = None, mode: int = 0o644
) -> None:
    """Replace `path` with `data` as a whole, never through a symlink below `root`.

    `root` defaults to `path`'s directory (then only `path` itself must not be a link). Text is
    UTF-8; a text that cannot be encoded (a lone surrogate) fails like a full disk does: an
    `OSError`, no temp file left, the old file untouched.

    Args:
        path: The file to replace.
        data: Its new content (text is written as UTF-8).
        root: The root below which no symlink is followed (None: `path`'s directory).
        mode: The new file's permissions.
    """
    path = Path(path)
    try:
        payload = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError as exc:
        raise OSError(
            errno.EILSEQ, f"text cannot be written as UTF-8 ({exc.reason})", str(path)
        ) from None
    with open_dir(path.parent, path.parent if root is None else root) as dir_fd:
        if _is_link(path.name, dir_fd):
            raise SymlinkRefused(path)
        temp = f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temp, _TEMP_FLAGS, 0o600, dir_fd=dir_fd)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(payload)
                os.fchmod(file.fileno(), mode & ~_UMASK)
            os.replace(temp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=dir_fd)
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def open_below(path: Path, flags: int, root: Path | None = None, mode: int = 0o644) -> int:
    """`os.open(path, flags | O_NOFOLLOW)` reached from `root` without following a link below it.

    For files written in place (an appended log, a lock file, a database): the caller owns the
    returned descriptor. Missing parent directories are made.

    Args:
        path: The file to open.
        flags: `os.open` flags (`O_NOFOLLOW` is added).
        root: The root below which no symlink is followed (None: `path`'s directory).
        mode: Permissions of a file it creates.
    """
    path = Path(path)
    with open_dir(path.parent, path.parent if root is None else root) as dir_fd:
        try:
            return os.open(path.name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP and _is_link(path.name, dir_fd):
                raise SymlinkRefused(path) from None
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def check_no_links(path: Path, root: Path) -> None:
    """Raise `SymlinkRefused` if `path` or a directory between it and `root` is a symlink.

    For writers that cannot take a descriptor (SQLite opens its own file by name): checked just
    before the open, which narrows but cannot close a race; the state dir check below closes it
    for the state dir, which no other user can write.
    """
    walked = Path(os.path.abspath(root))
    for part in _parts_below(path, root):
        walked /= part
        try:
            if stat.S_ISLNK(os.lstat(walked).st_mode):
                raise SymlinkRefused(walked)
        except FileNotFoundError:
            return


def check_private_dir(path: Path) -> None:
    """Refuse a state dir another user owns or anyone may write (they could plant links in it)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise SymlinkRefused(path)
    if info.st_uid != os.geteuid():
        raise UnsafeDir(path, f"is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})")
    if info.st_mode & stat.S_IWOTH:
        raise UnsafeDir(path, "is world-writable; run `chmod o-w` on it")


def _read_umask() -> int:
    """The process umask, read once at import (reading it means setting it: not thread-safe)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()
