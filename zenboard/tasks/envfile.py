"""Strict reader and writer of `.env.task` files (KEY=VALUE, Compose env-file style).

The file is untrusted input (scripts `source` it, users `eval "$(zenboard ports --env)"`, `run`
hands its variables to every suite), checked line by line and refused (InputError naming
`file:line`, exit 2) when a line holds shell syntax (`$(...)`, backticks, `;`, `|`, `&`,
redirections, `\\`, unquoted spaces) even inside quotes, a control character (comments included;
a tab only as whitespace around a line or before a comment), or a key other than
`[A-Z][A-Z0-9_]*` or one of the shell's or the loader's variables (`PATH`, `LD_PRELOAD`,
`PYTHONPATH`...). `${VAR}` / `$VAR` refer to keys above (`${VAR:-default}` as in Compose), `$$`
is a literal dollar, single quotes are literal; lines end at `\\n` (a CRLF's CR is dropped).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard import safefs
from zenboard.errors import InputError

MAX_BYTES = 1 << 20
"""A bigger `.env.task` is not a task's variables: refused rather than read into memory."""

_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_REF = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}$`]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))"
)
_SHELL = ("$(", "`", ";", "|", "&", "<", ">", "\\")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
"""C0 controls but the tab, DEL and C1: refused anywhere (a tab only inside keys and values)."""
_COMMENT = re.compile(r"[ \t]+#")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHELL_VARIABLES = frozenset(
    {"ENV", "SHELLOPTS", "BASHOPTS", "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "IFS"}
    | {"CDPATH", "GLOBIGNORE", "HOME", "PATH", "HISTFILE"}
    | {"PROMPT", "PROMPT2", "PROMPT3", "PROMPT4", "RPROMPT", "RPROMPT2", "RPS1", "RPS2"}
    | {"SPROMPT", "PROMPT_EOL_MARK", "ZDOTDIR", "FPATH"}
    | {"NODE_OPTIONS", "NODE_PATH", "PERL5OPT", "PERL5LIB", "RUBYOPT", "GIT_SSH_COMMAND"}
    | {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_DEBUG"}
    | {"PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"}
)
"""The shells' own (zsh's prompts too: under PROMPT_SUBST, which many zsh setups turn on, each
prompt expands them anew), then variables that change what runs (`PYTEST_ADDOPTS=--co` runs
no test, `PYTEST_PLUGINS` loads code). `PYTEST_WORKERS`, which only runner scripts read
(pytest does not), stays allowed."""
_LOADER_PREFIXES = ("BASH_", "LD_", "DYLD_", "PYTHON", "ZENBOARD_")
"""The loader's, Python's, and zenboard's own (its event pipe, its selection file)."""
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

_Fail = Callable[[str], InputError]
"""Builds the error for the line being parsed (the message gets the file and line number)."""


@dataclass(frozen=True)
class EnvFile:
    values: dict[str, str]
    """Each key's value with references expanded, in file order."""
    raw: dict[str, str]
    """Each key's value as written (quotes and `${...}` kept), to write it back unchanged."""


def is_shell_variable(key: str) -> bool:
    """True for the names a shell or a loader acts on: never set from `.env.task`."""
    return key in _SHELL_VARIABLES or key.startswith(_LOADER_PREFIXES)


# -- reading ----------------------------------------------------------------------------------
def parse_env_file(path: Path, root: Path | None = None) -> EnvFile:
    """The file's variables in order, references expanded; InputError names file and line.

    Nothing below `root` (default: the file's directory) may be a symlink, the file included.
    """
    found = read_env_file(path, root)
    if found is None:
        raise InputError(f"{path}: cannot read (No such file or directory)")
    return found


def read_env_file(path: Path, root: Path | None = None) -> EnvFile | None:
    """As `parse_env_file`, but None when the file does not exist."""
    data = _read_bytes(path, root)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}:{line}: not UTF-8 text") from None
    return parse_env_text(text.removeprefix("\ufeff"), str(path))


def _read_bytes(path: Path, root: Path | None) -> bytes | None:
    """The file's bytes, opened without following a symlink; None when it does not exist."""
    try:
        with _open_no_follow(path, root) as fd:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{path}: not a regular file")
            data = _read_at_most(fd, MAX_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except safefs.SymlinkRefused as exc:
        raise InputError(_symlink_refused(exc.filename)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({safefs.describe(exc)})") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES} bytes, not a task's variables")
    return data


@contextlib.contextmanager
def _open_no_follow(path: Path, root: Path | None) -> Iterator[int]:
    """A read descriptor of `path`, reached from `root` through no symlink (SymlinkRefused)."""
    with safefs.open_dir(path.parent, root, create=False) as dir_fd:
        try:
            fd = os.open(path.name, _OPEN_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise safefs.SymlinkRefused(path) from None
            raise
    try:
        yield fd
    finally:
        os.close(fd)


def _read_at_most(fd: int, limit: int) -> bytes:
    """Up to `limit` bytes: a file that grows while it is read cannot exhaust memory."""
    chunks: list[bytes] = []
    left = limit
    while left > 0 and (chunk := os.read(fd, left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _symlink_refused(link: object) -> str:
    return f"{link}: is a symlink; zenboard does not read or write .env.task through it"


def parse_env_text(text: str, where: str = "<env>") -> EnvFile:
    values: dict[str, str] = {}
    raw_values: dict[str, str] = {}
    for number, raw in enumerate(_lines(text), start=1):

        def fail(why: str, number: int = number) -> InputError:
            return InputError(f"{where}:{number}: {why}")

        _refuse_controls(raw, fail)
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip(" \t")
        key, sep, value = line.partition("=")
        if not sep:
            raise fail("expected KEY=VALUE")
        _check_key(key, fail)
        values[key] = _parse_value(value, values, fail)
        raw_values[key] = _as_written(value)
    return EnvFile(values, raw_values)


def _lines(text: str) -> list[str]:
    """Lines as editors and shells count them: split at `\\n` only, a CRLF's CR dropped.

    (`str.splitlines` also splits at VT, FF, \\x1c-\\x1e, NEL, U+2028 and U+2029: the line
    numbers would not match the file, and a refused control character would pass as a break.)
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def _refuse_controls(line: str, fail: _Fail) -> None:
    """Refuse the line's first control character (not a tab) or lone surrogate, by code point."""
    found = _CONTROL.search(line)
    if found is not None:
        raise fail(f"control character U+{ord(found.group()):04X} is not allowed")
    found = _SURROGATE.search(line)
    if found is not None:
        raise fail(f"lone surrogate U+{ord(found.group()):04X}: not UTF-8 text")


def _check_key(key: str, fail: _Fail) -> None:
    if not _KEY.fullmatch(key):
        shown = repr(key if len(key) <= 40 else key[:40] + "...")
        raise fail(f"bad key {shown}: use A-Z, 0-9 and '_', starting with a letter")
    if is_shell_variable(key):
        raise fail(
            f"{key} is a shell or loader variable: zenboard refuses to set it "
            "(it would change what every suite and shell runs)"
        )


def _as_written(value: str) -> str:
    if value[:1] in {"'", '"'}:
        return value[: value.find(value[0], 1) + 1]
    return _unquoted(value)


def _unquoted(value: str) -> str:
    """An unquoted value without its comment: ` #` or a tab and `#` start one, as in Compose."""
    return _COMMENT.split(value, maxsplit=1)[0].rstrip(" \t")


def _parse_value(value: str, defined: Mapping[str, str], fail: _Fail) -> str:
    if value[:1] in {"'", '"'}:
        inner = _quoted(value, fail)
        return inner if value[0] == "'" else _expand(inner, defined, fail)
    value = _unquoted(value)
    _refuse_shell(value, fail)
    if any(c.isspace() for c in value):
        raise fail("unquoted whitespace in value (quote it)")
    if "'" in value or '"' in value:
        raise fail("quote characters inside an unquoted value")
    return _expand(value, defined, fail)


def _quoted(value: str, fail: _Fail) -> str:
    """What is between `value`'s opening quote and its closing one (then only a comment)."""
    end = value.find(value[0], 1)
    if end < 0:
        kind = "single" if value[0] == "'" else "double"
        raise fail(f"unterminated {kind} quote")
    _check_rest(value[end + 1 :], fail)
    inner = value[1:end]
    if "\t" in inner:
        raise fail("control character U+0009 (tab) is not allowed inside a value")
    _refuse_shell(inner, fail)
    return inner


def _check_rest(rest: str, fail: _Fail) -> None:
    rest = rest.strip(" \t")
    if rest and not rest.startswith("#"):
        raise fail("text after the closing quote")


def _refuse_shell(value: str, fail: _Fail) -> None:
    for token in _SHELL:
        if token in value:
            raise fail(
                f"shell syntax {token!r} is not allowed (zenboard never executes .env files)"
            )


def _expand(value: str, defined: Mapping[str, str], fail: _Fail) -> str:
    out: list[str] = []
    pos = 0
    while True:
        dollar = value.find("$", pos)
        if dollar < 0:
            out.append(value[pos:])
            return "".join(out)
        out.append(value[pos:dollar])
        match = _REF.match(value, dollar)
        if match is None:
            raise fail(f"unsupported '$' reference at {value[dollar : dollar + 12]!r}")
        braced, op, default, plain, escaped = match.groups()
        if escaped:
            out.append("$")
        else:
            name = braced or plain
            current = defined.get(name)
            if (op == ":-" and not current) or (op == "-" and current is None):
                current = default
            if current is None:
                raise fail(f"${{{name}}} is not defined above")
            out.append(current)
        pos = match.end()


# -- writing ----------------------------------------------------------------------------------
def quote_value(value: str) -> str:
    """`value` in file form: bare when plainly safe, else single-quoted (literal).

    ValueError when no file form reads back as `value` (a `'`, a control character, shell
    syntax): checked by the parser itself, so zenboard never writes what it would refuse.
    """
    written = value if _SAFE_VALUE.fullmatch(value) else f"'{value}'"
    try:
        read_back: str | None = parse_env_text(f"VALUE={written}\n").values.get("VALUE")
    except InputError:
        read_back = None
    if read_back != value:
        raise ValueError(f"{value!r} cannot be written to an env file safely")
    return written


def render_env(written: Mapping[str, str], header: str = "") -> str:
    """File text for values already in file form (so `${BACKEND_PORT}` stays a reference)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for key, value in written.items():
        if not _KEY.fullmatch(key):
            raise ValueError(f"bad env key {key!r}")
        lines.append(f"{key}={value}")
    text = "\n".join(lines) + "\n"
    parse_env_text(text, "<render>")  # never write what zenboard itself would refuse
    return text


def write_env_file(
    path: Path, written: Mapping[str, str], header: str = "", root: Path | None = None
) -> bool:
    """Replace the file as a whole; return False (and leave it alone) when nothing would change.

    Never through a symlink below `root` (the file's own included), and through a temp file
    named like `mkstemp`'s (`safefs.write_atomic`), never a predictable name one could plant.

    Args:
        path: The `.env.task` file.
        written: The variables, in the order they are written.
        header: Comment lines written above them.
        root: The root below which no symlink is followed (None: the file's directory).
    """
    data = render_env(written, header).encode("utf-8")
    if _read_bytes(path, root) == data:
        return False
    try:
        safefs.write_atomic(path, data, root=root)
    except safefs.SymlinkRefused as exc:
        raise InputError(_symlink_refused(exc.filename)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({safefs.describe(exc)})") from None
    return True


# -- printing for a shell ---------------------------------------------------------------------
def shell_quote(value: str) -> str:
    """`value` single-quoted for a POSIX shell, each `'` written as `'"'"'`.

    Inside single quotes a shell expands, splits and globs nothing, so any text but NUL (which
    no shell variable can hold) reads back exactly.
    """
    return "'" + value.replace("'", "'\"'\"'") + "'"


def shell_assignment(key: str, value: str) -> str:
    """`KEY='value'` for `eval "$(zenboard ports --env)"`; ValueError for what no shell holds."""
    if not _KEY.fullmatch(key) or is_shell_variable(key):
        raise ValueError(f"{key!r} cannot be set from .env.task")
    if "\x00" in value:
        raise ValueError(f"{key}: a shell variable cannot hold NUL")
    return f"{key}={shell_quote(value)}"
