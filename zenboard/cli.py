"""The `zenboard` command line: one sub-command per module in `zenboard.commands`.

Every command takes `--project DIR`. Bad input (InputError) becomes one line on stderr and exit
code 2, never a traceback. Headless commands never import Textual: `launch` and `demo` import
the UI lazily inside their `run`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from zenboard import __version__
from zenboard.commands import COMMANDS
from zenboard.errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """One line and exit code 2, as for every other kind of bad input."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(
        prog="zenboard", description="Run a project's test suites in parallel and watch them live."
    )
    parser.add_argument("--version", action="version", version=f"zenboard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: dict[str, ModuleType] = {}
    for module_name in COMMANDS:
        module = importlib.import_module(f"zenboard.commands.{module_name}")
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        command.add_argument(
            "--project",
            type=Path,
            default=Path("."),
            metavar="DIR",
            help="the project's directory (default: the current directory)",
        )
        module.add_arguments(command)
        modules[module.NAME] = module
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code: int = modules[args.command].run(args)
    except InputError as exc:
        print(f"zenboard: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
