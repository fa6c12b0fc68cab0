"""The private event channel between one pytest controller and zenboard.

An anonymous pipe: only the process zenboard starts holds the write end (passed by number in
`ZENBOARD_EVENTS`, with `pass_fds`), so no other user or process can read or write it. A reader
thread splits the byte stream into lines, decodes each into an event, and hands them on in
batches; malformed and oversized lines are counted and skipped, never fatal.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

from zenboard.engine.process import lower_this_thread
from zenboard.model import events as ev

READ_CHUNK = 1 << 16
READ_PAUSE = 0.02
"""After a read that emptied the pipe, wait this long before the next one: the writer's lines
gather in the pipe meanwhile, so a stream of thousands of small writes a second costs a few
dozen wake-ups of this thread, not thousands, on cores the suites need. Nothing waits on a
full pipe: a full read (READ_CHUNK bytes) is followed by the next one at once."""
_SAMPLE_CHARS = 200


class LineDecoder:
    """Turns chunks of bytes into events for one suite; counts what it had to skip."""

    def __init__(self, suite: str, max_line: int = ev.MAX_LINE_BYTES) -> None:
        self.suite = suite
        self.max_line = max_line
        self.malformed = 0
        self.oversized = 0
        self.sample = ""
        self._partial = bytearray()
        self._discarding = False

    def feed(self, chunk: bytes, now: float | None = None) -> list[ev.Event]:
        """Decode every complete line in `chunk` (with what was left from the last chunk);
        `now` stamps the started and finished tests among them with their arrival."""
        out: list[ev.Event] = []
        lines = chunk.split(b"\n")
        rest = lines.pop()
        if len(lines) and (self._partial or self._discarding):
            first = lines[0]
            if self._discarding:
                self._discarding = False
                lines[0] = b""  # the end of an oversized line: already counted
            else:
                self._partial += first
                lines[0] = bytes(self._partial)
            self._partial.clear()
        decode, suite, max_line = ev.decode, self.suite, self.max_line
        for line in lines:
            if len(line) > max_line:  # before the blank test: as the partial-line path counts
                self.oversized += 1
                continue
            try:
                out.append(decode(suite, line, now))
            except ev.MalformedEvent:
                if line.strip():
                    self.malformed += 1
                    self.sample = line[:_SAMPLE_CHARS].decode(errors="replace")
        if rest and not self._discarding:
            self._partial += rest
            if len(self._partial) > self.max_line:
                self._partial.clear()
                self._discarding = True
                self.oversized += 1
        return out

    def finish(self) -> list[ev.Event]:
        """End of stream: a last line without newline is a truncated event."""
        out: list[ev.Event] = []
        if self._partial:
            self.malformed += 1
            self.sample = bytes(self._partial[:_SAMPLE_CHARS]).decode(errors="replace")
            self._partial.clear()
        self._discarding = False
        return out


class EventPipe:
    """One pipe per suite run; `env_value()` goes into the child's environment."""

    def __init__(
        self, suite: str, sink: Callable[[list[ev.Event]], None], niceness: int = 0
    ) -> None:
        self.niceness = niceness
        self.suite = suite
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self._sink = sink
        self._decoder = LineDecoder(suite)
        self._reported = (0, 0)
        self._thread = threading.Thread(target=self._read, name=f"events-{suite}", daemon=True)
        self._ended = threading.Event()
        """Set when the writer has exited: read what is left without pausing."""

    def env_value(self) -> str:
        return f"fd:{self.write_fd}:{os.getpid()}"

    def start(self) -> None:
        """Call after the child started: closes our write end so EOF comes when the child exits."""
        os.close(self.write_fd)
        self._thread.start()

    def close_unused(self) -> None:
        """The child never started: release both ends."""
        for fd in (self.write_fd, self.read_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def writer_exited(self) -> None:
        """The process holding the write end is gone: stop pausing between reads."""
        self._ended.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            # Something that inherited the write end outlived the run: stop reading.
            with contextlib.suppress(OSError):
                os.close(self.read_fd)
            self._thread.join(1.0)

    def _read(self) -> None:
        lower_this_thread(self.niceness)
        decoder = self._decoder
        try:
            while True:
                try:
                    chunk = os.read(self.read_fd, READ_CHUNK)
                except OSError:
                    break
                if not chunk:
                    break
                events = decoder.feed(chunk, time.time())
                self._report_damage(events)
                if events:
                    self._sink(events)
                if len(chunk) < READ_CHUNK:
                    self._ended.wait(READ_PAUSE)
        finally:
            tail = decoder.finish()
            self._report_damage(tail)
            if tail:
                self._sink(tail)
            with contextlib.suppress(OSError):
                os.close(self.read_fd)

    def _report_damage(self, events: list[ev.Event]) -> None:
        """Append a StreamDamaged delta to `events` when lines were skipped since the last one."""
        decoder = self._decoder
        malformed = decoder.malformed - self._reported[0]
        oversized = decoder.oversized - self._reported[1]
        if malformed or oversized:
            self._reported = (decoder.malformed, decoder.oversized)
            events.append(ev.StreamDamaged(self.suite, malformed, oversized, decoder.sample))
