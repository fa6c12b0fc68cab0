"""A container's log lines through the Docker SDK: the last ones then live, or those of a window.

`LogFollower` reads `logs(stream=True, follow=True, tail=N, timestamps=True)` on a thread of its
own into a bounded buffer the UI takes from in batches (never a call into the UI per line);
`close()` closes the stream from outside, which ends the thread. `logs_between` reads the lines
of a time window once (a failure's details). Lines are Docker's bytes decoded leniently and are
untrusted: whoever shows them spells control characters out (`textsafe.visible`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zenboard.tasks.containers import describe_error
from zenboard.tasks.docker_watch import connect, default_host, stop_following

TAIL = 200
"""Lines shown before following."""
MAX_LINES = 5_000
"""Lines kept while following: the oldest go first."""
MAX_LINE_CHARS = 4_000
"""A longer line is cut (one line of a JSON logger can be megabytes)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    time: float
    """When Docker received it (wall clock, from the daemon's timestamp; 0 when unknown)."""
    text: str


def parse_line(raw: str) -> LogLine:
    """`2026-12-01T10:14:03.123456789Z text` (Docker's `timestamps=True`) as a `LogLine`."""
    stamp, sep, text = raw.partition(" ")
    when = parse_timestamp(stamp) if sep else None
    if when is None:
        return LogLine(0.0, raw[:MAX_LINE_CHARS])
    return LogLine(when, text[:MAX_LINE_CHARS])


def parse_timestamp(stamp: str) -> float | None:
    """RFC 3339 with nanoseconds (Docker's) as epoch seconds; None when it is not one."""
    head, dot, frac = stamp.rstrip("Z").partition(".")
    try:
        base = datetime.fromisoformat(head + "+00:00").timestamp()
    except ValueError:
        return None
    digits = "".join(ch for ch in frac if ch.isdigit())[:9]
    return base + (int(digits) / 10 ** len(digits) if dot and digits else 0.0)


class _Splitter:
    """Bytes in any chunking -> whole lines (a frame may hold part of a line, or several)."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> list[str]:
        data = self._rest + chunk
        *lines, self._rest = data.split(b"\n")
        if len(self._rest) > MAX_LINE_CHARS * 4:  # no newline for too long: show what came
            lines.append(self._rest)
            self._rest = b""
        return [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines]


class LogFollower:
    """The last `tail` lines of one container, then its new lines as they come."""

    def __init__(self, container_id: str, *, tail: int = TAIL, host: str | None = None) -> None:
        self.container_id = container_id
        self.tail = tail
        self.host = host or default_host()
        self._lines: deque[LogLine] = deque(maxlen=MAX_LINES)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._stream: Any = None
        self.problem = ""
        """Why the logs cannot be read (empty while they can)."""
        self.ended = False
        """The stream ended (the container stopped, or the daemon went away)."""
        self.dropped = 0
        """Lines that were never taken because more than `MAX_LINES` came at once."""
        self._thread = threading.Thread(target=self._run, name="docker-logs", daemon=True)

    def start(self) -> LogFollower:
        self._thread.start()
        return self

    def take(self) -> list[LogLine]:
        """The lines that came since the last call."""
        with self._lock:
            lines = list(self._lines)
            self._lines.clear()
        return lines

    def close(self) -> None:
        """Stop following: the stream is closed from here, the thread ends."""
        stop_following(self._closed, self._stream, self._thread)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            client = connect(self.host)
        except Exception as exc:
            self.problem = f"docker unavailable: {describe_error(exc, self.host)}"
            return
        try:
            stream = client.api.logs(
                self.container_id,
                stdout=True,
                stderr=True,
                stream=True,
                follow=True,
                tail=self.tail,
                timestamps=True,
            )
            self._stream = stream
            if self._closed.is_set():
                stream.close()
                return
            splitter = _Splitter()
            for chunk in stream:
                if self._closed.is_set():
                    return
                lines = [parse_line(raw) for raw in splitter.feed(chunk)]
                with self._lock:
                    self.dropped += max(0, len(self._lines) + len(lines) - MAX_LINES)
                    self._lines.extend(lines)
        except Exception as exc:
            if not self._closed.is_set():
                self.problem = f"cannot read the logs: {describe_error(exc, self.host)}"
        finally:
            self.ended = True
            self._stream = None
            client.close()


def logs_between(
    container_id: str, since: float, until: float, *, host: str | None = None, limit: int = 200
) -> list[LogLine]:
    """The container's lines logged in [since, until] (at most `limit`, the last); [] when
    Docker cannot say."""
    host = host or default_host()
    try:
        client = connect(host)
    except Exception:
        return []
    try:
        raw = client.api.logs(
            container_id,
            stdout=True,
            stderr=True,
            timestamps=True,
            since=int(since),  # the API takes whole seconds here: the lines are filtered below
            until=int(until) + 1,
        )
    except Exception:
        return []
    finally:
        client.close()
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    lines = [parse_line(text) for text in _Splitter().feed(data + b"\n") if text]
    return [line for line in lines if since <= line.time <= until][-limit:]


def clock_text(when: float) -> str:
    """`10:14:03.123` in local time (a log line's or an event's stamp)."""
    if not when:
        return "--:--:--.---"
    return time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when * 1000) % 1000:03d}"
