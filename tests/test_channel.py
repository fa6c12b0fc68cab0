"""The event channel's line decoding: malformed, truncated and oversized lines are skipped and counted."""

from __future__ import annotations

import os
import select
import threading

import pytest

from zenboard.engine.channel import EventPipe, LineDecoder
from zenboard.model import events as ev

GOOD = ev.encode("worker_ready", worker="gw0")


def test_lines_split_across_chunks_decode() -> None:
    decoder = LineDecoder("s")
    events = []
    for i in range(0, len(GOOD) * 3, 7):
        events += decoder.feed((GOOD * 3)[i : i + 7])
    assert events == [ev.WorkerReady("s", "gw0")] * 3
    assert decoder.malformed == 0


def test_malformed_truncated_and_oversized_lines_are_counted() -> None:
    decoder = LineDecoder("s", max_line=100)
    events = decoder.feed(
        b"garbage\n" + GOOD + b"{" * 150 + b"\n" + GOOD + b'{"v":1,"type":"worker_ready"}\n'
    )
    events += decoder.feed(b"x" * 60)
    events += decoder.feed(b"y" * 60 + b"\n" + GOOD)  # an oversized line that arrives in pieces
    events += decoder.feed(GOOD[:10])
    events += decoder.finish()  # a truncated last line
    assert events == [ev.WorkerReady("s", "gw0")] * 3
    assert decoder.malformed == 3  # garbage, missing field, truncated tail
    assert decoder.oversized == 2


def test_wrong_types_and_versions_are_malformed() -> None:
    for line in (
        b'{"v": 2, "type": "worker_ready", "worker": "gw0"}',
        b'{"v": 1, "type": "worker_collected", "worker": "gw0", "count": "7"}',
        b'{"v": 1, "type": "worker_collected", "worker": "gw0", "count": true}',
        b'{"v": 1, "type": "test_finished", "nodeid": "a", "worker": "gw0", "outcome": "meh", "duration": 1}',
        b"[1, 2]",
        b"\xff\xfe",
    ):
        decoder = LineDecoder("s")
        assert decoder.feed(line + b"\n") == []
        assert decoder.malformed == 1, line


def test_pipe_reports_damage_and_events_in_order() -> None:
    received: list[ev.Event] = []
    pipe = EventPipe("s", received.extend)
    writer = os.dup(pipe.write_fd)
    pipe.start()
    os.write(writer, GOOD + b"nonsense\n" + ev.encode("worker_ready", worker="gw1"))
    os.close(writer)
    pipe.join(5)
    assert [e for e in received if isinstance(e, ev.WorkerReady)] == [
        ev.WorkerReady("s", "gw0"),
        ev.WorkerReady("s", "gw1"),
    ]
    damage = [e for e in received if isinstance(e, ev.StreamDamaged)]
    assert sum(d.malformed for d in damage) == 1
    assert damage[0].sample == "nonsense"


def _read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 1 << 16):
        data += chunk
    return data


def test_batched_pipe_keeps_order_and_writes_in_few_batches() -> None:
    """The plugin's writer: every line arrives, in order, with far fewer writes than lines."""
    from zenboard.plugins.events import BatchedPipe

    read_fd, write_fd = os.pipe()
    writes: list[int] = []
    real_write = os.write

    def counting_write(fd: int, data: bytes) -> int:
        writes.append(len(data))
        return real_write(fd, data)

    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(_read_all(read_fd)))
    reader.start()  # the lines are more than a pipe holds
    pipe = BatchedPipe(write_fd, interval=0.05)
    lines = [ev.encode("worker_collected", worker=f"gw{i % 3}", count=i) for i in range(2000)]
    os.write = counting_write  # type: ignore[assignment]
    try:
        for line in lines:
            pipe.write(line)
        pipe.flush()
    finally:
        os.write = real_write
    os.close(write_fd)
    reader.join(10)
    assert not reader.is_alive(), "the reader did not reach the pipe's end within 10 s"
    assert received == [b"".join(lines)]
    os.close(read_fd)
    assert 1 <= len(writes) < 20


def test_batched_pipe_delivers_a_lone_line_without_a_flush() -> None:
    from zenboard.plugins.events import BatchedPipe

    read_fd, write_fd = os.pipe()
    pipe = BatchedPipe(write_fd, interval=0.01)
    pipe.write(GOOD)
    readable, _, _ = select.select([read_fd], [], [], 10)  # until the flusher thread wrote it
    assert readable, "the flusher thread wrote nothing within 10 s"
    assert os.read(read_fd, 1 << 16) == GOOD
    os.close(write_fd)
    os.close(read_fd)


def test_batched_pipe_stops_quietly_when_the_reader_is_gone() -> None:
    from zenboard.plugins.events import BatchedPipe

    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    pipe = BatchedPipe(write_fd, interval=0.01)
    pipe.write(GOOD)
    pipe.flush()  # EPIPE: streaming stops, the run goes on
    assert pipe.fd is None
    pipe.write(GOOD)
    pipe.flush()
    os.close(write_fd)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() in a threaded process
def test_a_forked_child_never_writes_into_the_parents_stream() -> None:
    from zenboard.plugins.events import BatchedPipe

    read_fd, write_fd = os.pipe()
    pipe = BatchedPipe(write_fd, interval=0.01)
    pid = os.fork()
    if pid == 0:  # the child: a test that forks, say
        pipe.write(b"from the child\n")
        pipe.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    pipe.write(GOOD)
    pipe.flush()
    os.close(write_fd)
    assert _read_all(read_fd) == GOOD
    os.close(read_fd)
