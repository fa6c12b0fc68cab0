"""`zenboard init`: write the spec's four suites into the project's pyproject.toml."""

from __future__ import annotations

import argparse
import tomllib

from zenboard.errors import ConfigError

PROJECT = "optional"
"""Runs without a project: the current directory will do (see cli._project)."""
NAME = "init"
HELP = "write a [tool.zenboard] configuration with the four standard suites into pyproject.toml"

TEMPLATE = """
[tool.zenboard]
# Suites zenboard runs in parallel; see docs/configuration.md.

[[tool.zenboard.suites]]
name = "unit-fast"
args = ["-m", "unit"]
workers = 8

[[tool.zenboard.suites]]
name = "integration"
args = ["-m", "api"]
workers = 4
dist = "loadscope"

[[tool.zenboard.suites]]
name = "processing"
args = ["-m", "processing"]
workers = 2
dist = "loadscope"

[[tool.zenboard.suites]]
name = "e2e"
kind = "playwright"
cwd = "frontend"
workers = 4

[tool.zenboard.ports]
services = { postgres = 5432, redis = 6379, backend = 8000, frontend = 5173 }
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve()
    pyproject = root / "pyproject.toml"
    existing = ""
    if pyproject.exists():
        existing = pyproject.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(existing)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                pyproject, "(syntax)", f"valid TOML before zenboard adds to it ({exc})"
            ) from None
        if "zenboard" in data.get("tool", {}):
            print(f"{pyproject}: [tool.zenboard] exists already; left as it is")
            return 0
    if (root / "zenboard.toml").exists():
        print(f"{root / 'zenboard.toml'} configures zenboard already; left as it is")
        return 0
    separator = "" if not existing or existing.endswith("\n") else "\n"
    pyproject.write_text(existing + separator + TEMPLATE, encoding="utf-8")
    print(f"{pyproject}: added [tool.zenboard] with suites unit-fast, integration, processing, e2e")
    return 0
