"""The `zenboard` command line: one sub-command per module in `zenboard.commands`.

Every command that works on a project takes `--project DIR` (not `demo`, which makes its own).
Bad input (InputError) becomes one line on stderr and exit code 2, never a traceback. Headless
commands never import Textual: `launch` and `demo` import the UI lazily inside their `run`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import sys
import textwrap
import threading
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from zenboard import __version__
from zenboard.commands import COMMANDS, path_arg
from zenboard.errors import InputError


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, example: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.example = example
        """A command line that works, quoted when the arguments given do not (`merge`)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """One line and exit code 2, as for every other kind of bad input."""
        example = f" (e.g. {self.example})" if self.example else ""
        self.exit(2, f"{self.prog}: error: {message}{example}\n")


HELP_WIDTH = 79


def _description(module: ModuleType) -> str:
    """A command's `--help` text: what it does, then what it writes and claims (`WRITES`)."""
    paragraphs = (module.HELP[:1].upper() + module.HELP[1:] + ".", module.WRITES)
    return "\n\n".join(textwrap.fill(p, HELP_WIDTH) for p in paragraphs)


def build_parser(
    only: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser with every sub-command, or with just the command `only` names.

    Each sub-command's module is imported to build its arguments; `main` builds only the one
    the command line names, so `zenboard run` spawns its suites sooner (the full parser costs
    a dozen imports) while `zenboard --help` still lists every command.
    """
    parser = _Parser(
        prog="zenboard", description="Run a project's test suites in parallel and watch them live."
    )
    parser.add_argument("--version", action="version", version=f"zenboard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: dict[str, ModuleType] = {}
    for module_name in (only,) if only in COMMANDS else COMMANDS:
        module = importlib.import_module(f"zenboard.commands.{module_name}")
        example = getattr(module, "EXAMPLE", None)
        command = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=_description(module),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"example: {example}" if example else None,
            example=example,
        )
        if getattr(module, "PROJECT", "needed") != "none":
            command.add_argument(
                "--project",
                type=path_arg,
                default=None,
                metavar="DIR",
                help="the project's directory (default: the nearest one upward with a zenboard "
                "or pytest configuration)",
            )
        module.add_arguments(command)
        modules[module.NAME] = module
    return parser, modules


def _named_command(argv: list[str]) -> str | None:
    """The module of the sub-command `argv` names first, if any (None: build them all)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first.replace("-", "_") if first is not None else None


def _project(given: Path | None, need: str) -> Path:
    """The project a command is about: `--project` as given, else found upward from here.

    A command's module says how much it needs one (`PROJECT`): "needed" (the default: no
    project found is one line, exit 2), "optional" (`init`, `merge`: the current directory will
    do), or "none" (`demo`, which copies its own: it takes no `--project`); a module whose need
    depends on its arguments says so in `project_need(args)` (`init --check`).
    """
    from zenboard.project.root import find_root, require_root

    if given is not None:
        return given
    if need == "none":
        return Path.cwd()
    if need == "optional":
        return find_root(Path.cwd()) or Path.cwd()
    return require_root(Path.cwd())


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser(_named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        module = modules[args.command]
        need = getattr(module, "PROJECT", "needed")
        if hasattr(module, "project_need"):  # `init --check` is `audit`: it needs a project
            need = module.project_need(args)
        args.project = _project(getattr(args, "project", None), need)
        code: int = modules[args.command].run(args)
    except InputError as exc:
        from zenboard.textsafe import visible

        # An error may quote a file's line, a report's field or a subprocess's stderr.
        print(f"zenboard: error: {visible(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`zenboard history | head`): stop quietly, as `git log | head`
        # does, with SIGPIPE's exit status; nothing more can be written to it.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # the interpreter's exit flushes it
        return 128 + 13
    return code


def entry_point() -> None:
    """The `zenboard` command (console script and `python -m zenboard`): `main`, then exit.

    `main` itself stays an ordinary function for callers; the exit skips the interpreter's
    teardown (`leave_now`).
    """
    leave_now(main())


def leave_now(code: int) -> NoReturn:
    """Exit with `code` once what matters of the interpreter's teardown is done, not all of it.

    In Py_Finalize's order: wait for non-daemon threads and shut executors down
    (`threading._shutdown`), run the atexit handlers (the UI's shutdown, the scratch dir's
    removal), flush stdout and stderr; then `os._exit`, sparing the freeing of every module and
    object (20 to 30 ms after a large run: docs/performance.md). `threading._shutdown` is
    CPython's private function, checked by tests/test_borrowed_internals.py; where it is
    missing, the exit is an ordinary one.
    """
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is None:
        sys.exit(_flush_std_streams(code))
    shutdown()
    atexit._run_exitfuncs()
    os._exit(_flush_std_streams(code))


def _flush_std_streams(code: int) -> int:
    """Flush stdout and stderr; output that could not be written is an error, as in Python."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader went away (`zenboard history | head`), or the stream is closed
        except OSError as exc:  # a full disk, say: the output is cut short
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"zenboard: error: output not written: {exc.strerror}\n")
                sys.stderr.flush()
            code = code or 120  # Python's own exit code when flushing fails at exit
    return code


if __name__ == "__main__":
    entry_point()
