"""Warm reruns: one warm pytest per suite (`plugins/warm_server.py`), forked for small reruns.

`WarmPool.spawn` hands a rerun of a few tests (no xdist: `t`, `f`, watch's first phase) to the
suite's warm server, which forks a child that runs pytest with the run's argv, cwd, environment,
output pipe and event pipe; the child stands in for a spawned process (`WarmProcess`), so the
event stream, the JSON report, cancel and cleanup are those of a cold run. A server is restarted
when its `fingerprint` changes (interpreter, installed packages, config files, environment).
Where a run cannot be warm, `spawn` says why and the caller starts it cold.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import site
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.engine import process
from zenboard.engine.commands.pytest import uses_xdist

SERVER_MODULE = "zenboard.plugins.warm_server"
MAX_REQUEST = 1 << 22
"""Bytes of one request (the server's own limit)."""
CONFIG_FILES = (
    "pyproject.toml",
    "pytest.ini",
    "setup.cfg",
    "tox.ini",
    "zenboard.toml",
    ".env.task",
)
RUN_KEYS_PREFIX = "ZENBOARD_"
"""zenboard's per-run wiring (event pipe, selection, run dir, mark): not part of a fingerprint."""
READY_TIMEOUT = 60.0
FORK_TIMEOUT = 10.0
"""A ready server answers a request with its child's pid in milliseconds; after this, never."""
READY_WAIT = 0.05
"""How long a rerun waits for a server that is still importing before it starts cold."""
NEVER_WARM = "not a rerun of a few tests"
"""A whole suite or an xdist run: always cold, and not labelled as such."""


def fingerprint(python: str, cwd: Path, root: Path, env: Mapping[str, str]) -> str:
    """What a warm server holds, as one hash: a change to any of it restarts the server.

    The interpreter (path, mtime), the installed packages (the mtimes of the site-packages
    dirs: installing or removing a distribution changes its dir), the configuration files of
    the suite's cwd and the project root, and the suite's environment but zenboard's per-run
    variables (so `env` and `.env.task` count).
    """
    digest = hashlib.sha256()

    def stamp(path: Path) -> None:
        try:
            st = path.stat()
            digest.update(f"{path}:{st.st_mtime_ns}:{st.st_size}\n".encode())
        except OSError:
            digest.update(f"{path}:-\n".encode())

    stamp(Path(python))
    for directory in _site_dirs():
        stamp(directory)
    for folder in dict.fromkeys((cwd, root)):
        for name in CONFIG_FILES:
            try:
                digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
            except OSError:
                digest.update(b"-")
    for key in sorted(env):
        if not key.startswith(RUN_KEYS_PREFIX):
            digest.update(f"{key}={env[key]}\0".encode())
    digest.update(str(cwd).encode())
    return digest.hexdigest()


def _site_dirs() -> list[Path]:
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    dirs += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return [Path(p) for p in dict.fromkeys(dirs)]


def cold_reason(argv: tuple[str, ...], nodeids: tuple[str, ...]) -> str:
    """Why a pytest run cannot be forked from a warm server ("" when it can)."""
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return "no fork on this system"
    if len(argv) < 3 or argv[1:3] != ("-m", "pytest"):
        return "not a `python -m pytest` command"
    if argv[0] != sys.executable:
        return "the suite has its own python"
    if not nodeids or uses_xdist(argv):
        return NEVER_WARM
    return ""


class WarmProcess:
    """A forked child of a warm server, standing in for `subprocess.Popen`: its pid, its output,
    its exit code (which the server, its parent, reports)."""

    def __init__(self, request: int, stdout: io.BufferedReader) -> None:
        self.request = request
        self.pid = 0
        self.stdout: io.BufferedReader | None = stdout
        self.returncode: int | None = None
        self._started = threading.Event()
        self._exited = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired("warm pytest", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def _exit(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._started.set()
        self._exited.set()


class WarmServer:
    """One suite's warm pytest process and its control socket."""

    def __init__(
        self,
        python: str,
        cwd: Path,
        env: dict[str, str],
        roots: Iterable[Path],
        learn: bool = True,
        niceness: int = 0,
    ) -> None:
        self.ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [python, "-m", SERVER_MODULE, str(theirs.fileno()), *map(str, roots)]
        if not learn:
            argv.append("--no-learn")
        self.tainted = False
        """A module the server learnt started a thread: forking it again is unsafe."""
        try:
            self.process = process.spawn(argv, cwd, env, (theirs.fileno(),), niceness)
        finally:
            theirs.close()
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._next = 0
        self._runs: dict[int, WarmProcess] = {}
        self._dead = False
        threading.Thread(target=self._read, name="warm-server", daemon=True).start()
        threading.Thread(target=self._drain, name="warm-output", daemon=True).start()

    @property
    def alive(self) -> bool:
        return not self._dead and not self.tainted and self.process.poll() is None

    def _drain(self) -> None:
        """The server's own output (a plugin's import warning): read so it never blocks."""
        stdout = self.process.stdout
        assert stdout is not None
        with contextlib.suppress(OSError, ValueError):
            while os.read(stdout.fileno(), 1 << 16):
                pass

    def _read(self) -> None:
        while True:
            try:
                data = self.ours.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            try:
                message = json.loads(data)
            except ValueError:
                continue
            if "ready" in message:
                self.ready.set()
                continue
            if "tainted" in message:
                self.tainted = True
                continue
            with self._lock:
                run = self._runs.get(message.get("id"))
            if run is None:
                continue
            if "pid" in message:
                run.pid = int(message["pid"])
                run._started.set()
            elif "exit" in message:
                with self._lock:
                    self._runs.pop(run.request, None)
                run._exit(int(message["exit"]))
        with self._lock:
            self._dead = True
            runs, self._runs = list(self._runs.values()), {}
        self.ready.set()
        for run in runs:  # the server died: its children die with it (PR_SET_PDEATHSIG)
            run._exit(-15)

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str], event_fd: int
    ) -> WarmProcess | None:
        """Fork a child running pytest with `args`; None when the server cannot take it."""
        read_fd, write_fd = os.pipe()
        stdout = open(read_fd, "rb")  # noqa: SIM115 - owned by the run's output reader
        with self._lock:
            if self._dead:
                stdout.close()
                os.close(write_fd)
                return None
            self._next += 1
            run = WarmProcess(self._next, stdout)
            self._runs[run.request] = run
        body = json.dumps({"id": run.request, "args": args, "cwd": str(cwd), "env": env}).encode()
        try:
            if len(body) > MAX_REQUEST:
                raise OSError("request too large")
            socket.send_fds(self.ours, [body], [write_fd, event_fd])
        except OSError:
            with self._lock:
                self._runs.pop(run.request, None)
            stdout.close()
            return None
        finally:
            os.close(write_fd)
        if not run._started.wait(FORK_TIMEOUT):  # a server that stopped answering: end it
            self._dead = True
            threading.Thread(target=self.stop, name="warm-stop", daemon=True).start()
            stdout.close()
            return None
        if run.pid == 0:  # the server died before it forked
            stdout.close()
            return None
        return run

    def stop(self) -> None:
        """End the server and every child it forked (they carry its run mark)."""
        with contextlib.suppress(OSError):
            self.ours.close()
        process.terminate_tree(self.process, grace=1.0)


@dataclass
class _Slot:
    server: WarmServer
    fingerprint: str


class WarmPool:
    """Warm servers by suite name, started on first use or ahead (`prewarm`)."""

    def __init__(self, roots: Iterable[Path], niceness: int = 0) -> None:
        self.roots = tuple(dict.fromkeys(Path(r).resolve() for r in roots))
        self.niceness = niceness
        """How much lower the servers' priority is than zenboard's (their forks inherit it)."""
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._no_learn: set[str] = set()
        """Suites whose server learnt a module that starts a thread: theirs learn no more."""
        self._closed = False
        self.started = 0
        """Servers started so far (tests count restarts with it)."""

    def server(self, suite: str, cwd: Path, env: dict[str, str]) -> WarmServer | None:
        """The suite's live server for this fingerprint, started (or restarted) if need be."""
        base = {
            k: v
            for k, v in env.items()
            if not k.startswith(RUN_KEYS_PREFIX) or k.startswith(process.RUN_MARK_PREFIX)
        }
        stamp = fingerprint(sys.executable, cwd, self.roots[0], base)
        with self._starting:  # one check-and-restart at a time: a rerun and a prewarm race
            with self._lock:
                if self._closed:
                    return None
                slot = self._slots.pop(suite, None)
            if slot is not None and slot.fingerprint == stamp and slot.server.alive:
                with self._lock:
                    self._slots[suite] = slot
                return slot.server
            if slot is not None:  # stopped aside: the caller (under the engine's lock) goes on
                if slot.server.tainted:  # its next one imports only pytest and the plugins
                    self._no_learn.add(suite)
                threading.Thread(target=slot.server.stop, name="warm-stop", daemon=True).start()
            try:
                learn = suite not in self._no_learn
                started = WarmServer(
                    sys.executable, cwd, base, (cwd, *self.roots), learn, self.niceness
                )
            except OSError:
                return None
            with self._lock:
                if self._closed:
                    started.stop()
                    return None
                self.started += 1
                self._slots[suite] = _Slot(started, stamp)
            return started

    def prewarm(self, suite: str, cwd: Path, env: dict[str, str]) -> None:
        self.server(suite, cwd, env)

    def spawn(
        self, suite: str, argv: tuple[str, ...], cwd: Path, env: dict[str, str], event_fd: int
    ) -> WarmProcess | str:
        """The run forked from the suite's warm server (run mark and all), or why not (go cold).

        A server still importing is not waited for (the engine's lock is held, and a cold start
        is never slower than a wait): that run starts cold, the next one is warm.
        """
        server = self.server(suite, cwd, env)
        if server is None:
            return "no warm server"
        if not server.ready.wait(READY_WAIT):
            return "the warm server is still starting"
        mark = f"{process.RUN_MARK_PREFIX}{os.urandom(12).hex()}"
        child = server.run(list(argv[3:]), cwd, {**env, mark: "1"}, event_fd)
        if child is None:
            return "the warm server could not take the run"
        process.remember_mark(child, f"{mark}=1")
        return child

    def servers(self) -> int:
        with self._lock:
            return len(self._slots)

    def close(self) -> None:
        """Stop every server (and so every child they forked); the pool takes no more runs."""
        with self._lock:
            self._closed = True
            slots, self._slots = list(self._slots.values()), {}
        threads = [threading.Thread(target=s.server.stop) for s in slots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def wait_ready(pool: WarmPool, suite: str, timeout: float = READY_TIMEOUT) -> bool:
    """Whether the suite's server is up and imported (tests and the bench wait on it)."""
    deadline = time.monotonic() + timeout
    with pool._lock:
        slot = pool._slots.get(suite)
    if slot is None:
        return False
    return slot.server.ready.wait(max(0.0, deadline - time.monotonic())) and slot.server.alive
