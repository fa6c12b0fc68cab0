"""Which project a command is about, from wherever it is run: the root, as pytest and git find it.

A user in `tests/` or in a package folder means the project above them, not a new one there.
The root is the nearest directory upward with zenboard's own configuration; else the directory
pytest itself would take as its rootdir (its configuration files, in its order); else nothing,
and commands that need a project say so in one line instead of running pytest in a random
folder and leaving a `.zenboard/` there.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

from zenboard.errors import InputError


def _toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _tool(path: Path) -> dict[str, object]:
    tool = _toml(path).get("tool")
    return tool if isinstance(tool, dict) else {}


def has_zenboard(directory: Path) -> bool:
    """Whether `directory` holds a zenboard configuration (zenboard.toml, [tool.zenboard])."""
    if (directory / "zenboard.toml").is_file():
        return True
    pyproject = directory / "pyproject.toml"
    return pyproject.is_file() and "zenboard" in _tool(pyproject)


def _ini_sections(path: Path) -> set[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return set()
    return set(parser.sections())


def _pyproject_holds_pytest(path: Path) -> bool:
    """`[tool.pytest.ini_options]`, or from pytest 9 on `[tool.pytest]` itself."""
    table = _tool(path).get("pytest")
    return isinstance(table, dict) and ("ini_options" in table or _pytest_major() >= 9)


_PYTEST_CONFIGS: tuple[tuple[str, Callable[[Path], bool]], ...] = (
    ("pytest.toml", lambda p: True),
    (".pytest.toml", lambda p: True),
    ("pytest.ini", lambda p: True),
    (".pytest.ini", lambda p: True),
    ("pyproject.toml", lambda p: _pyproject_holds_pytest(p)),
    ("tox.ini", lambda p: "pytest" in _ini_sections(p)),
    ("setup.cfg", lambda p: "tool:pytest" in _ini_sections(p)),
)
"""pytest 9's configuration files, in the order it tries them in each directory, and whether a
file holds pytest configuration (`[tool.pytest]` or `[tool.pytest.ini_options]`, `[pytest]`,
`[tool:pytest]`; the dedicated files always do)."""


def _pytest_major() -> int:
    """The installed pytest's major version (pytest.toml counts from pytest 9 on)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("pytest").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 9


def _configs() -> list[tuple[str, Callable[[Path], bool]]]:
    """The configuration files the installed pytest reads (pytest.toml from pytest 9 on)."""
    return [c for c in _PYTEST_CONFIGS if _pytest_major() >= 9 or "pytest.toml" not in c[0]]


def pytest_config_file(directory: Path) -> Path | None:
    """The file in `directory` that holds pytest configuration, if one does (pytest's order)."""
    for name, holds_pytest in _configs():
        path = directory / name
        if path.is_file() and holds_pytest(path):
            return path
    return None


def _upward(start: Path) -> Iterator[Path]:
    start = start.absolute()
    yield start
    yield from start.parents


def pytest_rootdir(start: Path) -> Path | None:
    """The rootdir pytest would choose when run without arguments in `start`, if it finds one.

    As pytest: the nearest directory with a configuration file; else the nearest with a
    `pyproject.toml` (pytest 8.1+ takes one without a pytest table); else the nearest with a
    `setup.py`. None where pytest would fall back to the current directory itself.
    """
    first_pyproject: Path | None = None
    configs = _configs()
    for directory in _upward(start):
        for name, holds_pytest in configs:
            path = directory / name
            if path.is_file():
                if name == "pyproject.toml" and first_pyproject is None:
                    first_pyproject = directory
                if holds_pytest(path):
                    return directory
    if first_pyproject is not None:
        return first_pyproject
    return next((d for d in _upward(start) if (d / "setup.py").is_file()), None)


def find_root(start: Path) -> Path | None:
    """The project `start` belongs to: nearest zenboard configuration, else pytest's rootdir."""
    for directory in _upward(start):
        if has_zenboard(directory):
            return directory
    return pytest_rootdir(start)


def require_root(start: Path) -> Path:
    """`find_root`, or the one line that says there is no project here (exit 2)."""
    root = find_root(start)
    if root is None:
        raise InputError(
            f"not a project: no zenboard or pytest configuration in {start.absolute()} or above "
            "(run zenboard init)"
        )
    return root
