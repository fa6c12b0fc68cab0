"""The services of a project's compose file and the container port each listens on.

`zenboard init` writes `[tool.zenboard.ports] services = {name = port}` from this, so the task's
ports (tasks/ports.py) name the services Compose really starts. A service's port is the
container side of its first `ports:` entry (`"8000"`, `"8080:8000"`, `"127.0.0.1:8080:8000/tcp"`,
a range's first port, or the long syntax's `target:`), else its first `expose:` entry; a service
with neither publishes nothing and is left out, as is a name the ports table cannot hold. The file
is read with PyYAML's safe loader; Compose's own tags (`!reset`, `!override`) are read as the
plain values they tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from zenboard.tasks.compose.files import find_compose_file
from zenboard.tasks.envfile import is_shell_variable
from zenboard.tasks.ports import port_variable

_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
"""The names `[tool.zenboard.ports]` accepts (tasks/ports.py)."""
_CONTAINER_PORT = re.compile(r"(\d+)(?:-\d+)?")


@dataclass(frozen=True)
class ComposeServices:
    file: Path | None
    """The compose file read, or None when the project has none."""
    services: dict[str, int]
    """Service -> container port, in the file's order."""
    left_out: tuple[tuple[str, str], ...] = ()
    """Services without a ports entry, each with why."""
    error: str = ""
    """Why the file could not be read (then `services` is empty)."""


class _Loader(yaml.SafeLoader):
    """The safe loader, reading the file as Compose does (YAML 1.2) where it matters here.

    PyYAML speaks YAML 1.1, where an unquoted `- 2222:22` is the base-60 integer 133342 and
    `08000` an octal: Compose reads both as strings. Here only plain decimals are integers, and
    any tag (Compose's `!reset`, `!override`) reads as the plain value it tags.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _untagged)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


def read_compose_services(root: Path) -> ComposeServices:
    """The services of the compose file in `root` with their container ports."""
    path = find_compose_file(root)
    if path is None:
        return ComposeServices(None, {})
    try:
        # A SafeLoader: builds plain data only, never a Python object the file names.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ComposeServices(path, {}, error=f"{path.name} not read: {why}")
    raw = data.get("services") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return ComposeServices(path, {}, error=f"{path.name} has no `services:` mapping")
    return _services(path, raw)


def _services(path: Path, raw: dict[Any, Any]) -> ComposeServices:
    services: dict[str, int] = {}
    left_out: list[tuple[str, str]] = []
    variables: dict[str, str] = {}
    for name, body in raw.items():
        name = str(name)
        port = service_port(body)
        if port is None:
            left_out.append((name, "no container port in ports: or expose:"))
        elif not _SERVICE_NAME.fullmatch(name):
            left_out.append((name, "zenboard's ports table takes a-z, 0-9, '_' and '-' only"))
        elif is_shell_variable(port_variable(name)):
            left_out.append((name, f"its variable {port_variable(name)} is a shell's or loader's"))
        elif port_variable(name) in variables:
            other = variables[port_variable(name)]
            left_out.append((name, f"its variable {port_variable(name)} is {other}'s"))
        else:
            services[name] = port
            variables[port_variable(name)] = name
    return ComposeServices(path, services, tuple(left_out))


def service_port(body: Any) -> int | None:
    """A service's container port: its first `ports:` entry's, else its first `expose:`'s."""
    if not isinstance(body, dict):
        return None
    for key in ("ports", "expose"):
        entries = body.get(key)
        if isinstance(entries, list):
            for entry in entries:
                port = container_port(entry)
                if port is not None:
                    return port
    return None


def container_port(entry: Any) -> int | None:
    """The container side of one `ports:`/`expose:` entry, or None where there is none.

    Short syntax `[[ip:]host:]container[/protocol]`: the container side is after the last
    colon (an IPv6 host address sits in brackets before it); a range gives its first port;
    a variable (`${PORT}`) on the container side cannot be known and gives None.
    """
    if isinstance(entry, dict):
        target = entry.get("target")
        return container_port(target) if not isinstance(target, dict) else None
    if isinstance(entry, bool):
        return None
    if isinstance(entry, int):
        return entry if 1 <= entry <= 65535 else None
    if not isinstance(entry, str):
        return None
    container = entry.strip().split("/")[0].rsplit(":", 1)[-1]
    match = _CONTAINER_PORT.fullmatch(container)
    if match is None:
        return None
    port = int(match.group(1))
    return port if 1 <= port <= 65535 else None
