"""The event channel's line decoding: malformed, truncated and oversized lines are skipped and counted."""

from __future__ import annotations

import os

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
