"""Process-tree handling: start a suite in its own session, stop all of it, leave nothing behind.

A suite's pytest controller starts in a new session (its own process group), so xdist workers,
browsers and servers the tests start share that group and one `killpg` reaches them. Anything
that left the group (a daemon that called setsid) is still found through /proc by parentage and
killed too. On Linux the controller also gets PR_SET_PDEATHSIG, so it dies with zenboard even
when zenboard is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


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


def spawn(
    argv: Iterable[str], cwd: Path, env: dict[str, str], pass_fds: tuple[int, ...]
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session with stdout and stderr merged into one pipe."""
    args = list(argv)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            start_new_session=True,
            preexec_fn=_die_with_parent if _LIBC is not None else None,
        )

    return _SPAWNER.run(start)


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
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: parse after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _signal_all(pgid: int, pids: list[int], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def terminate_tree(
    process: subprocess.Popen[bytes], grace: float = 3.0, alive: Callable[[], bool] | None = None
) -> None:
    """Stop `process`, its process group and every descendant: SIGTERM, then SIGKILL."""
    pgid = process.pid  # start_new_session: the group id is the leader's pid
    tree = descendants(process.pid)
    _signal_all(pgid, tree, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None and not _any_alive(pgid, tree):
            return
        time.sleep(0.05)
    tree = sorted(set(tree) | set(descendants(process.pid)))
    _signal_all(pgid, tree, signal.SIGKILL)


def _any_alive(pgid: int, pids: list[int]) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            continue
        if not _is_zombie(pid):
            return True
    return False


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].split()[:1] == ["Z"]
