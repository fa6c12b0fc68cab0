"""Process-tree handling: start a suite in its own session, stop all of it, leave nothing behind.

`spawn` starts a suite's controller in a new session with a per-run environment marker
(`ZENBOARD_RUN_MARK_<token>=1`) and, on Linux, PR_SET_PDEATHSIG; `terminate_tree` stops the
process group, every descendant found through /proc and every process carrying the marker.
/proc is scanned only when a run is stopped (cancel, rerun, quit), never per event. Why a group,
parentage and a marker all three: docs/architecture.md, "Why the code is the way it is".
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Protocol

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_CAP_SYS_NICE = 23


def _load_libc() -> ctypes.CDLL | None:
    """The C library's symbols (for prctl), from the running process itself.

    `ctypes.CDLL(None)` is dlopen(NULL): the symbols already loaded, libc's among them. It spares
    every zenboard start `ctypes.util.find_library`, which imports tempfile and runs ldconfig.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl  # noqa: B018 - raises AttributeError where the C library lacks it
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup(niceness: int) -> Callable[[], None] | None:
    """What the child runs between fork and exec: die with zenboard, then lower its priority.

    The nice value is inherited by everything the child starts (xdist workers, a browser), so
    the whole suite yields the CPU to the dashboard that draws it. Run as root, Chromium raises
    its own processes back to nice 0 and its display threads to -8, ahead of the dashboard:
    the child gives up the right to raise a priority (CAP_SYS_NICE, dropped from the bounding
    set, so nothing it execs gets it back), as any unprivileged user's processes are."""
    if niceness <= 0:
        return _die_with_parent if _LIBC is not None else None

    def setup() -> None:
        _die_with_parent()
        if _LIBC is not None:
            _LIBC.prctl(_PR_CAPBSET_DROP, _CAP_SYS_NICE)  # fails harmlessly without privilege
        os.nice(niceness)

    return setup


class _Spawner:
    """One long-lived thread from which every suite process is started.

    Linux delivers PR_SET_PDEATHSIG when the *thread* that forked the child exits, not the
    process: a suite started from a short-lived thread (a UI worker, the waiter thread that
    launches a watch run's next phase) would be killed as soon as that thread returned. Forking
    from this thread, which lives as long as zenboard, makes "dies with zenboard" mean exactly that.
    """

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Callable[[], subprocess.Popen[bytes]], _Result]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        if threading.current_thread() is self._thread:
            return start()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="zenboard-spawner", daemon=True
                )
                self._thread.start()
        result = _Result()
        self._requests.put((start, result))
        result.done.wait()
        if result.error is not None:
            raise result.error
        assert result.value is not None
        return result.value

    def _loop(self) -> None:
        while True:
            start, result = self._requests.get()
            try:
                result.value = start()
            except BaseException as exc:  # handed to the caller's thread
                result.error = exc
            result.done.set()


class _Result:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: subprocess.Popen[bytes] | None = None
        self.error: BaseException | None = None


_SPAWNER = _Spawner()


RUN_MARK_PREFIX = "ZENBOARD_RUN_MARK_"
"""Name prefix of the per-run marker variable; the rest of the name is the run's random token."""


class RunProcess(Protocol):
    """What a run's process must offer: a spawned `Popen`, or a child forked by a warm server
    (`engine/warm.py`), whose session it leads too."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


_MARKS: weakref.WeakKeyDictionary[RunProcess, str] = weakref.WeakKeyDictionary()
_MARKS_LOCK = threading.Lock()


def run_mark(process: RunProcess) -> str | None:
    """The `KEY=VALUE` environment entry that marks everything `process`'s run started.

    None for a process neither `spawn` nor `remember_mark` marked.
    """
    with _MARKS_LOCK:
        return _MARKS.get(process)


def remember_mark(process: RunProcess, mark: str) -> None:
    """`process`'s run carries `mark` (`KEY=1`), for a process `spawn` did not start."""
    with _MARKS_LOCK:
        _MARKS[process] = mark


def spawn(
    argv: Iterable[str],
    cwd: Path,
    env: dict[str, str],
    pass_fds: tuple[int, ...],
    niceness: int = 0,
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session with stdout and stderr merged into one pipe.

    The child's environment gets the run's marker (see `run_mark`). Its name is unique to the run
    rather than one fixed name with a per-run value, so a zenboard run inside a suite (zenboard's
    own tests, say) adds its marker without hiding the outer run's: the outer cancel still finds
    everything the inner run started.

    Args:
        argv: The command line.
        cwd: Its working directory.
        env: Its whole environment (the run marker is added to it).
        pass_fds: Descriptors the child inherits (the event pipe's write end).
        niceness: How much lower than zenboard's the priority of the child and all it starts is
            (0: the same).
    """
    args = list(argv)
    token = secrets.token_hex(12)
    key = f"{RUN_MARK_PREFIX}{token}"
    child_env = {**env, key: "1"}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            start_new_session=True,
            preexec_fn=_child_setup(niceness),
        )

    started = _SPAWNER.run(start)
    with _MARKS_LOCK:
        _MARKS[started] = f"{key}=1"
    return started


def lower_this_thread(niceness: int) -> None:
    """Give the calling thread (not the process) a lower CPU priority.

    Linux keeps a nice value per thread, and threads and processes inherit their creator's.
    Threads that only read what suites report call this, so on busy cores the suites' own
    processes (forked from the spawner thread, which keeps the normal priority) come first.
    """
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, 0)  # this thread's, on Linux
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, niceness))


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, found through /proc (empty where /proc is missing)."""
    return sorted(_scan(pid, None, None))


def _stat_fields(pid: int | str) -> list[bytes]:
    """/proc/<pid>/stat from the state field on (empty if there is no such process)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return []
    # The command name may hold spaces and parentheses: parse after the last ')'.
    return stat[stat.rfind(b")") + 2 :].split()


def _start_time(fields: list[bytes]) -> int | None:
    """A live process's start time (stat field 22), None for a zombie or a missing process.

    A pid with the start time seen when it was found is still that process, not a reused pid.
    """
    if len(fields) < 20 or fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def _scan(root: int | None, pgid: int | None, mark: bytes | None) -> dict[int, int]:
    """One pass over /proc for the live (not zombie) processes that are descendants of `root`,
    members of process group `pgid`, or carry the environment entry `mark` (`b"KEY=VALUE"`)
    wherever they sit in the process tree: pid -> start time.

    Never lists zenboard itself. The environ of another user's process is not readable, and a
    zombie's is empty, so the marker never matches either.
    """
    children: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    found: set[int] = set()
    needle = b"\0" + mark + b"\0" if mark is not None else None
    me = os.getpid()
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    for name in names:
        if not name.isdigit():
            continue
        fields = _stat_fields(name)
        start = _start_time(fields)
        if start is None:
            continue
        pid = int(name)
        started[pid] = start
        children.setdefault(int(fields[1]), []).append(pid)
        if pid == me:
            continue
        if pgid is not None and int(fields[2]) == pgid:
            found.add(pid)
        elif needle is not None:
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    environ = f.read()
            except OSError:  # another user's process, or gone
                continue
            # Entries end with NUL: match one whole entry, never a part of another one.
            if needle in b"\0" + environ + b"\0":
                found.add(pid)
    stack = [root] if root is not None else []
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    found.discard(me)
    return {pid: started[pid] for pid in found}


def start_time(pid: int) -> int | None:
    """When the live process `pid` started (clock ticks since boot), None when there is none:
    a pid recorded with its start time names that process, never one that reused the pid."""
    return _start_time(_stat_fields(pid))


def _alive(pid: int, start: int) -> bool:
    """The process found as (`pid`, `start`) is still running: not a zombie, not a reused pid."""
    return _start_time(_stat_fields(pid)) == start


def _signal_all(pgid: int, pids: dict[int, int], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for pid, start in pids.items():
        if _alive(pid, start):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


def terminate_tree(
    process: RunProcess, grace: float = 3.0, alive: Callable[[], bool] | None = None
) -> None:
    """Stop `process` and everything its run started: SIGTERM, then SIGKILL after `grace`.

    Reaches the process group, every descendant of `process` found through /proc, and, for a
    process `spawn` started, every process whose /proc/<pid>/environ holds the run's marker entry
    (`run_mark`): a daemon that left the group with setsid and the tree with a double fork still
    carries it. It scans /proc again before it returns and in the SIGKILL round, so what was forked
    meanwhile is reached too. It returns once nothing of the run is alive (zombies do not count:
    where init does not reap orphans they stay zombies for good) or, after SIGKILL, `grace` later.

    Limits: a process that exec'd with a cleared or rebuilt environment (`env -i`, `Popen(env=
    {...})` without the inherited variables, a sandbox that scrubs it) or overwrote its initial
    environment block (some setproctitle implementations) no longer carries the marker; it is
    found only while it stays in the group or under the controller. Processes of other users and
    zenboard itself are never signalled, and a pid is signalled only while its start time is the
    one seen when it was found (not a reused pid).

    Cost: each /proc scan reads stat and environ of every process (measured in
    docs/performance.md); a stop makes a few, and only while stopping, never per event.
    """
    pgid = process.pid  # start_new_session: the group id is the leader's pid
    mark = run_mark(process)
    needle = mark.encode() if mark is not None else None

    def scan() -> dict[int, int]:
        # Once the controller is reaped its pid may be reused: descendants of it are not ours.
        root = process.pid if process.poll() is None else None
        return _scan(root, pgid, needle)

    tree = scan()
    _signal_all(pgid, tree, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None and not _any_alive(tree):
            tree = scan()  # anything forked after the last scan (a double fork half done)?
            if not tree:
                return
            _signal_all(pgid, tree, signal.SIGTERM)
        time.sleep(0.05)
    deadline = time.monotonic() + grace
    while True:
        tree = {**tree, **scan()}
        _signal_all(pgid, tree, signal.SIGKILL)
        time.sleep(0.02)
        if process.poll() is not None and not _any_alive(tree):
            tree = scan()
            if not tree:
                return
        if time.monotonic() >= deadline:
            return


def _any_alive(pids: dict[int, int]) -> bool:
    return any(_alive(pid, start) for pid, start in pids.items())
