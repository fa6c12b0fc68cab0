"""A warm pytest, imported once and forked for every small rerun (`-m ... FD ROOT...`).

A rerun of a few tests spends most of its time starting: the interpreter, pytest, its plugins.
This process pays that once per suite. It imports pytest, `_pytest`'s modules and every installed
pytest11 plugin (zenboard's, xdist, json-report...), but no module of the project: conftest files
and everything under the project root load after the fork, in the child, as in a cold run.

The control socket (a SOCK_SEQPACKET socket, by number) carries one JSON request per rerun, with
the run's output pipe and event pipe as SCM_RIGHTS descriptors; the child gets its own session,
PR_SET_PDEATHSIG, stdio, cwd, environment and argv and calls pytest as `python -m pytest` would.
Replies: `{"ready": pid}` once, then `{"id", "pid"}` per fork and `{"id", "exit"}` per child
reaped. EOF on the socket (zenboard gone) ends the server; its children die with it
(PR_SET_PDEATHSIG). Imports only the standard library and `wire` (the plugins' contract).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import select
import signal
import socket
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from zenboard.wire import ENV_EVENTS

MAX_REQUEST = 1 << 22
"""Bytes of one request (argv, cwd, environment): larger ones are refused by the sender."""
PRELOADED = ("xdist.plugin", "pytest_jsonreport.plugin", "zenboard.plugins.run_first")
_PR_SET_PDEATHSIG = 1


def _under(origin: str | None, roots: list[Path]) -> bool:
    if not origin:
        return False
    path = Path(origin).resolve()
    return any(path.is_relative_to(root) for root in roots)


def preload(project_roots: list[Path]) -> list[str]:
    """Import pytest and the installed plugins, never a module that lives under the project.

    Returns the plugin modules it could not import (they load in the child, as cold).
    """
    import _pytest.config
    import pytest

    for name in sorted(_pytest.config.default_plugins):
        with contextlib.suppress(Exception):
            importlib.import_module(f"_pytest.{name}")
    del pytest
    platform.platform()  # cached: pytest-metadata asks every run (uname, libc: a subprocess)
    failed: list[str] = []
    names = [ep.value.partition(":")[0] for ep in importlib.metadata.entry_points(group="pytest11")]
    for module in (*PRELOADED, *names):
        try:
            spec = importlib.util.find_spec(module.partition(".")[0])
            if spec is None or _under(spec.origin, project_roots):
                continue
            importlib.import_module(module)
        except Exception:  # a broken plugin fails in the child, with its own message
            failed.append(module)
    return failed


def _installed(module: object, installed: tuple[str, ...], roots: list[Path]) -> bool:
    """A module of the standard library or an installed package, not of the project."""
    origin = getattr(module, "__file__", None)
    if not isinstance(origin, str) or not origin.startswith(installed):
        return False
    return not _under(origin, roots)


class Server:
    def __init__(self, control: socket.socket, roots: list[Path], learn: bool = True) -> None:
        self.control = control
        self.roots = roots
        self.learn = learn
        """Import what the children imported from the standard library and installed packages
        (the project's third-party imports), so the next child finds them loaded."""
        prefixes = {sys.prefix, sys.base_prefix, *site_dirs()}
        self.installed = tuple(os.path.join(os.path.realpath(p), "") for p in prefixes)
        self.children: dict[int, int] = {}
        """pid -> request id."""
        self.reports: dict[int, int] = {}
        """pid -> the read end of the pipe its child names its imports into."""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        self.libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.control.send(json.dumps(message).encode())

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        self.send({"ready": os.getpid()})
        while True:
            try:
                ready, _, _ = select.select([self.control.fileno(), self.wake_r], [], [])
            except InterruptedError:
                continue
            if self.wake_r in ready:
                with contextlib.suppress(BlockingIOError, InterruptedError):
                    os.read(self.wake_r, 4096)
                self.reap()
            if self.control.fileno() in ready:
                try:
                    data, fds, _, _ = socket.recv_fds(self.control, MAX_REQUEST, 4)
                except OSError:
                    data, fds = b"", []
                if not data:
                    return  # zenboard is gone; PR_SET_PDEATHSIG ends the children
                self.fork(json.loads(data), fds)
            self.reap()

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            request = self.children.pop(pid, None)
            if request is not None:
                self.send({"id": request, "exit": os.waitstatus_to_exitcode(status)})
            report = self.reports.pop(pid, None)
            if report is not None:
                self.learn_from(report)

    def learn_from(self, report: int) -> None:
        """Import the modules a child named (installed ones only, checked again here). One that
        starts a thread would make every later fork unsafe: the server says so and stops
        learning; zenboard restarts it without learning."""
        os.set_blocking(report, False)  # a forked grandchild may hold the write end open
        data = b""
        try:
            while chunk := os.read(report, 1 << 16):
                data += chunk
        except OSError:  # BlockingIOError: all the child wrote is read
            pass
        finally:
            os.close(report)
        if not self.learn:
            return
        try:
            names = json.loads(data) if data else []
        except ValueError:
            return
        for name in names:
            if not isinstance(name, str) or name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)
                if spec is None or not spec.origin or not spec.origin.startswith(self.installed):
                    continue
                importlib.import_module(name)
            except Exception:
                continue
            if threading.active_count() > 1:
                self.learn = False
                self.send({"tainted": name})
                return
        gc.freeze()

    def fork(self, request: dict[str, Any], fds: list[int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            os._exit(self.child(request, fds, report_w))
        os.close(report_w)
        for fd in fds:
            os.close(fd)
        self.children[pid] = request["id"]
        self.reports[pid] = report_r
        self.send({"id": request["id"], "pid": pid})

    def child(self, request: dict[str, Any], fds: list[int], report: int) -> int:
        """In the forked child: become the run's process, then run pytest as `-m pytest` does;
        at the end, name the installed modules it imported into `report`."""
        code = 1
        baseline = set(sys.modules)
        try:
            output, events = fds
            os.setsid()
            if self.libc is not None:
                self.libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for fd in (self.control.detach(), self.wake_r, self.wake_w, *self.reports.values()):
                os.close(fd)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.close(output)
            os.set_inheritable(events, False)  # as the events plugin makes it at its import
            os.chdir(request["cwd"])
            env: dict[str, str] = request["env"]
            env[ENV_EVENTS] = f"fd:{events}:{os.getppid()}"
            os.environ.clear()
            os.environ.update(env)
            import pytest

            sys.argv = [str(Path(pytest.__file__).with_name("__main__.py")), *request["args"]]
            sys.path[0] = os.getcwd()  # `python -m` puts the working directory first
            try:
                code = _exit_code(pytest.console_main())
            except SystemExit as exc:
                code = _exit_code(exc.code)
            except BaseException:
                traceback.print_exc()
                code = 1
            _interpreter_exit()
        except BaseException:
            with contextlib.suppress(Exception):
                traceback.print_exc()
        with contextlib.suppress(Exception):
            learned = [
                name
                for name, module in list(sys.modules.items())
                if name not in baseline and _installed(module, self.installed, self.roots)
            ]
            os.write(report, json.dumps(learned).encode()[: 1 << 16])
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        return code


def _exit_code(value: object) -> int:
    """`SystemExit(value)` as the interpreter turns it into an exit code."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _interpreter_exit() -> None:
    """What the interpreter does at exit, before `os._exit`: join the non-daemon threads, run
    the atexit handlers (CPython's `threading._shutdown`, `atexit._run_exitfuncs`)."""
    shutdown = getattr(threading, "_shutdown", None)
    if callable(shutdown):
        with contextlib.suppress(Exception):
            shutdown()
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if callable(run_exitfuncs):
        run_exitfuncs()


def site_dirs() -> list[str]:
    import site

    return [*site.getsitepackages(), site.getusersitepackages()]


def main(argv: list[str]) -> int:
    learn = "--no-learn" not in argv
    argv = [a for a in argv if a != "--no-learn"]
    control = socket.socket(fileno=int(argv[0]))
    roots = [Path(p).resolve() for p in argv[1:]]
    preload(roots)
    # What was imported is never collected, and pages the children share stay shared: a
    # child's collections (pytest runs two at its end) skip it (Instagram's gc.freeze).
    gc.collect()
    gc.freeze()
    Server(control, roots, learn).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
