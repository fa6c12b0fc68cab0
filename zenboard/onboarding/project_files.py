"""Files `zenboard init` changes in a project: read as they are, replaced whole, never through
a symlink, keeping their mode (see safefs).

`.gitignore` gets the directories zenboard writes (`.zenboard/`: reports, history, durations;
`.zenflow/`: task environments), each once: a line that already ignores one (`.zenboard`,
`/.zenboard/`, `.zenboard/*`) counts.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from zenboard import safefs
from zenboard.errors import InputError

STATE_DIRS = (".zenboard/", ".zenflow/")


def _ignores(line: str) -> str:
    """The directory a `.gitignore` line ignores at the root, as `name/` ("" for others)."""
    pattern = line.strip().lstrip("/")
    for suffix in ("/**", "/*", "/"):
        pattern = pattern.removesuffix(suffix)
    return pattern + "/" if pattern and not pattern.startswith(("#", "!")) else ""


def missing_ignores(text: str, wanted: Sequence[str] = STATE_DIRS) -> list[str]:
    """The lines of `wanted` that `text` (a `.gitignore`) does not have yet."""
    present = {_ignores(line) for line in text.splitlines()}
    return [line for line in wanted if line not in present]


def with_ignores(text: str, lines: Sequence[str]) -> str:
    """`text` with `lines` appended on lines of their own."""
    if not lines:
        return text
    separator = "" if not text or text.endswith("\n") else "\n"
    return text + separator + "".join(f"{line}\n" for line in lines)


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist; unreadable is one line (exit 2)."""
    try:
        return path.read_bytes().decode("utf-8")  # as it is: `read_text` would turn CRLF into LF
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        why = safefs.describe(exc) if isinstance(exc, OSError) else f"{path}: not UTF-8 text"
        raise InputError(f"cannot read {why}") from None


def check_writable(path: Path, root: Path) -> None:
    """Refuse (exit 2) up front a file that `replace` would refuse: a symlink there or between
    it and `root`. `replace` checks again as it writes; this saves the work before it."""
    try:
        safefs.check_no_links(path, root)
    except OSError as exc:
        raise InputError(f"{path.name} not written: {safefs.describe(exc)}") from None


def replace(path: Path, text: str, root: Path) -> None:
    """Replace `path` whole with `text` keeping its mode (0644 when new); a symlink there or
    between it and `root` is refused (exit 2), never written through."""
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        crlf = b"\r\n" in path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        mode, crlf = 0o644, False
    except OSError:
        crlf = False
    if crlf:  # what zenboard adds follows the file's own line endings
        text = re.sub(r"(?<!\r)\n", "\r\n", text)
    try:
        safefs.write_atomic(path, text, root=root, mode=mode)
    except OSError as exc:
        raise InputError(f"{path.name} not written: {safefs.describe(exc)}") from None
