"""Strict reader and writer of `.env.task` files (KEY=VALUE, Compose env-file style).

The spec's runner script `source`s this file; zenboard never does. It parses each line and
refuses anything a shell would execute or split (`$(...)`, backticks, `;`, `|`, `&`, redirections,
unquoted spaces) anywhere, even inside quotes, naming the line, so a file that is safe for
zenboard is also harmless to source. `${VAR}` / `$VAR` refer to keys defined above (with
`${VAR:-default}` as in Compose); `$$` is a literal dollar; single quotes are literal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.errors import InputError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REF = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}$`]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))"
)
_SHELL = ("$(", "`", ";", "|", "&", "<", ">", "\\")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=${}-]*")

_Fail = Callable[[str], InputError]
"""Builds the error for the line being parsed (the message gets the file and line number)."""


@dataclass(frozen=True)
class EnvFile:
    values: dict[str, str]
    """Each key's value with references expanded, in file order."""
    raw: dict[str, str]
    """Each key's value as written (quotes and `${...}` kept), to write it back unchanged."""


def parse_env_file(path: Path) -> EnvFile:
    """The file's variables in order, references expanded; InputError names file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_env_text(text, str(path))


def parse_env_text(text: str, where: str = "<env>") -> EnvFile:
    values: dict[str, str] = {}
    raw_values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        def fail(why: str, number: int = number) -> InputError:
            return InputError(f"{where}:{number}: {why}")

        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        if not sep or not _KEY.fullmatch(key):
            raise fail("expected KEY=VALUE with KEY of letters, digits and '_'")
        values[key] = _parse_value(value, values, fail)
        raw_values[key] = _as_written(value)
    return EnvFile(values, raw_values)


def _as_written(value: str) -> str:
    if value[:1] in {"'", '"'}:
        return value[: value.find(value[0], 1) + 1]
    return re.split(r"\s+#", value, maxsplit=1)[0].rstrip()


def _parse_value(value: str, defined: Mapping[str, str], fail: _Fail) -> str:
    if value[:1] == "'":
        end = value.find("'", 1)
        if end < 0:
            raise fail("unterminated single quote")
        _check_rest(value[end + 1 :], fail)
        _refuse_shell(value[1:end], fail)
        return value[1:end]
    if value[:1] == '"':
        end = value.find('"', 1)
        if end < 0:
            raise fail("unterminated double quote")
        _check_rest(value[end + 1 :], fail)
        inner = value[1:end]
        _refuse_shell(inner, fail)
        return _expand(inner, defined, fail)
    value = re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
    _refuse_shell(value, fail)
    if any(c.isspace() for c in value):
        raise fail("unquoted whitespace in value (quote it)")
    if "'" in value or '"' in value:
        raise fail("quote characters inside an unquoted value")
    return _expand(value, defined, fail)


def _check_rest(rest: str, fail: _Fail) -> None:
    rest = rest.strip()
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


def quote_value(value: str) -> str:
    """`value` in file form: bare when safe, else single-quoted (literal)."""
    if _SAFE_VALUE.fullmatch(value):
        return value
    if "'" in value or "\n" in value:
        raise ValueError(f"{value!r} cannot be written to an env file safely")
    return f"'{value}'"


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


def write_env_file(path: Path, written: Mapping[str, str], header: str = "") -> bool:
    """Write atomically; return False (and leave the file alone) when nothing would change."""
    text = render_env(written, header)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    return True
