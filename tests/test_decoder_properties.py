"""Property-based tests (Hypothesis) of the event decoder on arbitrary, chunked and truncated lines.

`events.decode` turns one wire line into an event or raises `MalformedEvent`; `LineDecoder` splits
a byte stream into lines whatever the chunking, counting what it must skip. The strategies below
are derived from the decoder's own field table (`_WIRE_FIELDS`), so a wire type added there is
round-tripped and fuzzed here without touching this file.

Determinism and speed: with `CI` set (CI=true) every test runs `derandomize=True` with no example
database, so CI sees the same examples on every run and a red build always means the change, never
a newly drawn example or one replayed from an earlier run; and CI skips shrinking, which on a
stream property can take a minute (the failing example is reported as found; a minimal plain test
next to each property shows each known bug). Locally the examples are random, to explore more of
the space over time, failures are shrunk (not "explained": that phase costs as much again), and
Hypothesis's database (under `.hypothesis/`, which Hypothesis git-ignores itself) replays them
first on the next run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from zenboard import wire
from zenboard.engine.channel import LineDecoder
from zenboard.model import events as ev

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _settings(max_examples: int) -> settings:
    common = settings(
        max_examples=max_examples,
        deadline=None,  # a loaded 2-core runner must not turn slow examples into failures
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    )
    if not IN_CI:
        return common
    return settings(
        common, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate)
    )


KNOWN_KINDS = (
    "run_started",
    "worker_ready",
    "worker_collected",
    "tests_collected",
    "collect_failed",
    "test_started",
    "test_finished",
    "worker_down",
    "worker_replaced",
    "run_finished",
)
KINDS = sorted(ev._WIRE_TYPES)
WIRE_CLASSES = tuple(ev._WIRE_TYPES.values())
KIND_OF = {cls: kind for kind, cls in ev._WIRE_TYPES.items()}

# --- strategies --------------------------------------------------------------------------------

SPECIAL_CHARS = (
    "\n\r\t\x00\x08\x1b\x1f\x7f\x85\u2028\u2029\ufeff\ufffd\ud800\udbff\udc00\udcff\udfff"
    '\U0001f600\U0010ffff"\\/{}[]'
)
"""Newlines and other control characters, lone surrogates, non-BMP characters, JSON syntax."""
chars = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARS))
texts = st.text(chars, max_size=30)
short_texts = st.text(chars, max_size=6)

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)

any_typed_values = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(),
    st.none(),
    texts,
    st.lists(json_values, max_size=3),
    st.dictionaries(texts, json_values, max_size=3),
)
"""One of each JSON type, equally likely: True and 1 and 1.0 are three different types here."""


def _is_wire_type(value: Any, types: type | tuple[type, ...]) -> bool:
    accepted = _types(types)
    return isinstance(value, accepted) and (type(value) is not bool or bool in accepted)


_TYPE_STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    str: texts,
    int: st.integers(),
    float: st.floats(),  # NaN and the infinities included: the encoder writes them, json reads them
    bool: st.booleans(),
    type(None): st.none(),
    list: st.lists(json_values, max_size=4),
    dict: st.dictionaries(texts, json_values, max_size=4),
}
_SMALL_TYPE_STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    **_TYPE_STRATEGIES,
    str: short_texts,
    int: st.integers(-1000, 1000),
    list: st.lists(st.integers(0, 9), max_size=2),
    dict: st.dictionaries(short_texts, st.integers(0, 9), max_size=2),
}
FIELD_OVERRIDES: dict[tuple[str, str], Callable[[bool], st.SearchStrategy[Any]]] = {
    ("test_finished", "outcome"): lambda small: st.sampled_from(ev.OUTCOMES),
    ("tests_collected", "nodeids"): lambda small: (
        st.lists(short_texts, max_size=3) if small else st.lists(texts, max_size=8)
    ),
}
"""Fields whose valid values are narrower than their JSON type (by `small`)."""


def _types(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _field_strategy(kind: str, name: str, types: Any, small: bool) -> st.SearchStrategy[Any]:
    if (kind, name) in FIELD_OVERRIDES:
        return FIELD_OVERRIDES[kind, name](small)
    table = _SMALL_TYPE_STRATEGIES if small else _TYPE_STRATEGIES
    return st.one_of(*(table[t] for t in _types(types)))


@st.composite
def wire_events(
    draw: st.DrawFn, kinds: st.SearchStrategy[str] | None = None, small: bool = False
) -> tuple[str, dict[str, Any]]:
    """A valid event as (kind, fields): every required field, any subset of the optional ones."""
    kind = draw(kinds if kinds is not None else st.sampled_from(KINDS))
    fields: dict[str, Any] = {}
    for name, types, required in ev._WIRE_FIELDS[kind]:
        if required or draw(st.booleans()):
            fields[name] = draw(_field_strategy(kind, name, types, small))
    return kind, fields


def _line(event: tuple[str, dict[str, Any]]) -> bytes:
    kind, fields = event
    return wire.encode(kind, **fields)


ALL_FIELDS = sorted({(kind, f[0], f[1]) for kind in KINDS for f in ev._WIRE_FIELDS[kind]})


@st.composite
def wire_shaped_lines(draw: st.DrawFn) -> bytes:
    """A valid event object, then edited: another version or type, fields dropped, fields (its own
    or another type's) set to any JSON value or to a value valid for some other field."""
    kind, fields = draw(wire_events())
    obj: dict[str, Any] = {"v": 1, "type": kind, **fields}
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(("v", "type", "drop", "set", "set", "set")))
        if edit == "v":
            obj["v"] = draw(json_values)
        elif edit == "type":
            obj["type"] = draw(st.sampled_from(KINDS) | texts | json_values)
        elif edit == "drop":
            obj.pop(draw(st.sampled_from(sorted(obj))), None)
        else:
            other, name, types = draw(st.sampled_from(ALL_FIELDS))
            target = draw(st.sampled_from([f[0] for f in ev._WIRE_FIELDS[kind]] + [name]))
            obj[target] = draw(any_typed_values | _field_strategy(other, name, types, small=False))
    return json.dumps(obj).encode()


@st.composite
def mangled_valid_lines(draw: st.DrawFn) -> bytes:
    """A valid line cut short, with a byte flipped, or with a stretch spliced out."""
    line = _line(draw(wire_events()))[:-1]
    i = draw(st.integers(0, len(line)))
    j = draw(st.integers(i, len(line)))
    how = draw(st.sampled_from(("cut", "flip", "splice")))
    if how == "cut":
        return line[:i]
    if how == "flip" and i < len(line):
        return line[:i] + bytes([line[i] ^ draw(st.integers(1, 255))]) + line[i + 1 :]
    return line[:i] + line[j:]


deep_nesting = st.integers(0, 3000).flatmap(
    lambda n: st.sampled_from((b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n, b"[" * n))
)
"""Nested arrays and objects: valid JSON, but deeper than Python's recursion limit past ~1000."""

arbitrary_lines = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    wire_shaped_lines(),
    mangled_valid_lines(),
    deep_nesting,
)


def _split(data: bytes, plan: int | list[int]) -> list[bytes]:
    """`data` in chunks of `plan` bytes, or cut at the offsets `plan` lists (sorted; two equal
    offsets make an empty chunk)."""
    if isinstance(plan, int):
        return [data[i : i + plan] for i in range(0, len(data), plan)]
    return [data[a:b] for a, b in zip([0, *plan], [*plan, len(data)], strict=True)]


@st.composite
def stream_lines(draw: st.DrawFn, max_line: int) -> bytes:
    """One line of a stream, without its newline: valid, garbage, blank, or too long."""
    kind = draw(
        st.sampled_from(("valid", "valid", "valid", "garbage", "blank", "long", "crlf", "padded"))
    )
    if kind in ("valid", "crlf", "padded"):
        line = _line(draw(wire_events(small=draw(st.booleans()))))[:-1]
        if kind == "crlf":
            return line + b"\r"
        if kind == "padded":  # JSON whitespace around the object, up to the limit and past it
            width = draw(st.integers(max(len(line), max_line - 2), max(len(line), max_line + 2)))
            return line + b" " * (width - len(line))
        return line
    if kind == "garbage":
        return draw(st.binary(max_size=80)).replace(b"\n", b"")
    if kind == "blank":
        size = draw(st.integers(0, 8) | st.integers(max_line - 2, max_line + 20))
        return bytes(
            draw(st.lists(st.sampled_from(b" \t\r\x0b\x0c"), min_size=size, max_size=size))
        )
    return draw(st.binary(min_size=max_line - 1, max_size=max_line + 80)).replace(b"\n", b"x")


@dataclasses.dataclass
class Stream:
    """Lines (without newlines) for a decoder with `max_line`, and where to cut the stream into
    chunks: each line carries its own cuts (offsets into the line and its newline), so Hypothesis
    can drop a line with its cuts while shrinking; `fixed` cuts the whole stream every n bytes."""

    max_line: int
    lines: list[bytes]
    cuts: list[list[int]]
    fixed: int | None

    def blob(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)

    def chunks(self, data: bytes) -> list[bytes]:
        """`data` (the blob, or a prefix of it) cut as planned."""
        if self.fixed:
            return _split(data, self.fixed)
        offsets, start = [], 0
        for line, cuts in zip(self.lines, self.cuts, strict=True):
            offsets += sorted(start + cut for cut in cuts)
            start += len(line) + 1
        return _split(data, [offset for offset in offsets if offset <= len(data)])


@st.composite
def _line_with_cuts(draw: st.DrawFn, max_line: int) -> tuple[bytes, list[int]]:
    line = draw(stream_lines(max_line))
    return line, draw(st.lists(st.integers(0, len(line) + 1), max_size=3))


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    max_line = draw(st.sampled_from((64, 200, ev.MAX_LINE_BYTES)))
    items = draw(st.lists(_line_with_cuts(min(max_line, 400)), max_size=12))
    # Byte by byte last: what Hypothesis shrinks towards must stay cheap to run.
    fixed = draw(st.none() | st.sampled_from((7, 3, 2, 1)))
    return Stream(max_line, [line for line, _ in items], [cuts for _, cuts in items], fixed)


# --- oracles -----------------------------------------------------------------------------------


def _json_str(text: str) -> str:
    """What a string reads back as: JSON's \\u escapes join a high surrogate and a low one after it
    into the one character they spell (unpaired surrogates and everything else come back as is)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _wire_image(value: Any) -> Any:
    """`value` as it reads back from the wire."""
    if isinstance(value, str):
        return _json_str(value)
    if isinstance(value, dict):
        return {_json_str(k): _wire_image(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire_image(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal, with types (True is not 1, 1.0 is not 1) and NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


WIRE_NAMES = {"record_data": "record", "sent_lost": "lost"}
"""Fields a test_finished keeps under another name than the wire's (a record may stay text
until read: `record` decodes it)."""


def _image(event: ev.Event) -> tuple[str, dict[str, Any]]:
    """An event's type and every field (the `record` too, which `==` on events ignores)."""
    fields = {}
    for f in dataclasses.fields(event):
        name = WIRE_NAMES.get(f.name, f.name) if isinstance(event, ev.TestFinished) else f.name
        fields[name] = getattr(event, name if name == "record" else f.name)
    return type(event).__name__, fields


def _made(cls: type[Any], suite: str, fields: dict[str, Any]) -> Any:
    """An event built in code from its wire fields."""
    if cls is ev.TestFinished:
        names = {wire: field for field, wire in WIRE_NAMES.items()}
        fields = {names.get(k, k): v for k, v in fields.items()}
    return cls(suite, **fields)


def _same_events(got: list[ev.Event], expected: list[ev.Event]) -> bool:
    return _same([_image(e) for e in got], [_image(e) for e in expected])


def _wire_type_errors(event: ev.Event) -> list[str]:
    """Fields of a decoded event whose value is not of a JSON type the table accepts for it."""
    errors = []
    for name, types, _ in ev._WIRE_FIELDS[KIND_OF[type(event)]]:
        value = getattr(event, name)
        accepted = _types(types)
        if list in accepted:
            accepted = (*accepted, tuple)  # decoded JSON arrays are kept as tuples
        if not _is_wire_type(value, accepted):
            errors.append(f"{name}={value!r} is not one of {accepted}")
    return errors


@dataclasses.dataclass
class Outcome:
    events: list[ev.Event]
    malformed: int
    oversized: int
    blank: int = 0
    """Complete lines of whitespace only, ignored."""
    long_blank: int = 0
    """Of those, lines longer than max_line: the channel may count them as oversized instead."""
    lines: int = 0
    """Lines in all, the unterminated tail included."""


def _model(suite: str, lines: list[bytes], tail: bytes, max_line: int) -> Outcome:
    """What the channel promises, line by line: blank lines are ignored (or counted as oversized
    when longer than max_line), long ones counted as oversized, the rest decoded or counted as
    malformed; an unterminated tail is never decoded: it is counted, as malformed or oversized."""
    out = Outcome([], 0, 0, lines=len(lines) + (1 if tail else 0))
    for line in lines:
        if not line.strip():
            out.blank += 1
            out.long_blank += len(line) > max_line
        elif len(line) > max_line:
            out.oversized += 1
        else:
            try:
                out.events.append(ev.decode(suite, line))
            except ev.MalformedEvent:
                out.malformed += 1
    if len(tail) > max_line:
        out.oversized += 1
    elif tail:
        out.malformed += 1
    return out


def _run(suite: str, chunks: list[bytes], max_line: int) -> Outcome:
    decoder = LineDecoder(suite, max_line=max_line)
    events: list[ev.Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    tail = decoder.finish()
    assert tail == [], f"finish() decoded an unterminated line: {tail!r}"
    return Outcome(events, decoder.malformed, decoder.oversized)


def _check(got: Outcome, expected: Outcome, how: str) -> None:
    """`got` is what the model allows: its events, in order, and counts that account for every
    line (events + malformed + oversized + ignored blank lines = lines)."""
    assert _same_events(got.events, expected.events), f"{how}: events lost, repeated or changed"
    assert got.malformed == expected.malformed, (
        f"{how}: {got.malformed} malformed lines counted, {expected.malformed} expected"
    )
    low, high = expected.oversized, expected.oversized + expected.long_blank
    assert low <= got.oversized <= high, (
        f"{how}: {got.oversized} oversized lines counted, {low}..{high} expected"
    )
    ignored = expected.blank - (got.oversized - expected.oversized)
    accounted = len(got.events) + got.malformed + got.oversized + ignored
    assert accounted == expected.lines, (
        f"{how}: {accounted} lines accounted for, of {expected.lines}"
    )


# --- 1. decode on arbitrary input ----------------------------------------------------------------


@_settings(1000)
@given(suite=texts, line=arbitrary_lines, as_text=st.booleans())
def test_decode_raises_only_malformed_event_and_returns_a_typed_event(
    suite: str, line: bytes, as_text: bool
) -> None:
    """Whatever the line, `decode` returns an event of a wire type for `suite`, or raises
    MalformedEvent; nothing else may escape, or the channel's reader thread dies with it."""
    given_line: bytes | str = line.decode(errors="surrogateescape") if as_text else line
    try:
        event = ev.decode(suite, given_line)
    except ev.MalformedEvent:
        return
    except Exception as exc:
        pytest.fail(
            f"BUG: decode raised {type(exc).__name__} ({exc}) instead of MalformedEvent "
            f"on a {len(line)}-byte line starting {line[:40]!r}"
        )
    assert isinstance(event, WIRE_CLASSES), event
    assert event.suite == suite
    assert not _wire_type_errors(event), (
        f"BUG: decode accepted a field of the wrong JSON type: {_wire_type_errors(event)} "
        f"from {line!r}"
    )


def test_deeply_nested_json_is_malformed_not_fatal() -> None:
    """Minimal case of the bug property 1 finds: json.loads raises RecursionError past Python's
    recursion limit (~1000 levels, a 2 KB line), which `decode` does not turn into MalformedEvent,
    so `LineDecoder.feed` raises and `EventPipe`'s reader thread dies, losing every later event."""
    line = b"[" * 1000 + b"]" * 1000
    decoder = LineDecoder("s")
    try:
        events = decoder.feed(line + b"\n" + ev.encode("worker_ready", worker="gw0"))
    except RecursionError:
        pytest.fail("BUG: a deeply nested JSON line raised RecursionError out of LineDecoder.feed")
    assert events == [ev.WorkerReady("s", "gw0")]
    assert decoder.malformed == 1


@pytest.mark.parametrize(
    ("kind", "name", "types"), ALL_FIELDS, ids=[f"{kind}.{name}" for kind, name, _ in ALL_FIELDS]
)
@_settings(40)
@given(data=st.data())
def test_a_field_of_the_wrong_json_type_is_malformed(
    kind: str, name: str, types: Any, data: st.DataObject
) -> None:
    """Each field of each wire type, set to a value of a JSON type its table entry does not list
    (a bool is never an int), makes the whole line malformed."""
    _, fields = data.draw(wire_events(st.just(kind)))
    fields[name] = data.draw(any_typed_values.filter(lambda v: not _is_wire_type(v, types)))
    line = wire.encode(kind, **fields)
    try:
        event = ev.decode("s", line)
    except ev.MalformedEvent:
        return
    pytest.fail(f"BUG: {kind}.{name}={fields[name]!r} accepted, as {event!r}")


def test_bool_is_not_accepted_as_an_int_field() -> None:
    """Minimal case of the bug the wrong-type property finds: `true` is rejected for `count` (see
    test_channel.py) but accepted for `pending`, whose accepted types are (int, None): the decoder
    only rejects bools when the accepted types are exactly int or (int, float)."""
    line = b'{"v": 1, "type": "test_started", "nodeid": "a", "worker": "gw0", "pending": true}'
    try:
        event = ev.decode("s", line)
    except ev.MalformedEvent:
        return
    pytest.fail(f"BUG: test_started.pending=true was accepted as {event!r}")


# --- 2. round trip -------------------------------------------------------------------------------


def test_the_wire_table_covers_every_wire_type() -> None:
    """Every known type is decodable, and every table field is a field of its dataclass (or a
    property reading one: a test's `record`, kept as text until read); fields the table leaves
    out must have defaults (decode never sets them)."""
    assert set(KNOWN_KINDS) <= set(ev._WIRE_TYPES)
    assert set(ev._WIRE_FIELDS) == set(ev._WIRE_TYPES)
    for kind, cls in ev._WIRE_TYPES.items():
        table = {name for name, _, _ in ev._WIRE_FIELDS[kind]}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        readers = {n for n in dir(cls) if isinstance(getattr(cls, n, None), property)}
        assert table <= (set(fields) | readers) - {"suite"}, kind
        for name in set(fields) - table - {"suite"}:
            f = fields[name]
            assert f.default is not dataclasses.MISSING or (
                f.default_factory is not dataclasses.MISSING
            ), f"{kind}.{name}"


@pytest.mark.parametrize("kind", KINDS)
@_settings(100)
@given(suite=texts, data=st.data())
def test_every_valid_event_round_trips(kind: str, suite: str, data: st.DataObject) -> None:
    """encode then decode gives back the same fields, whatever the strings hold: newlines stay
    escaped inside the one line, lone surrogates and non-BMP characters survive."""
    _, fields = data.draw(wire_events(st.just(kind)))
    line = wire.encode(kind, **fields)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1, "a field's newline broke the line"
    event = ev.decode(suite, line)
    assert type(event) is ev._WIRE_TYPES[kind]
    _, got = _image(event)
    assert got.pop("suite") == suite
    _, defaults = _image(_made(type(event), suite, fields))
    tuples = {f.name for f in dataclasses.fields(event) if str(f.type).startswith("tuple")}
    for name, value in got.items():
        expected = _wire_image(fields[name]) if name in fields else defaults[name]
        if name in tuples and isinstance(expected, list):
            expected = tuple(expected)  # a JSON array field is kept as a tuple
        assert _same(value, expected), f"{kind}.{name}: sent {fields.get(name)!r}, got {value!r}"
    # Decoding the same line again, as text this time, gives the same event.
    assert _same(_image(ev.decode(suite, line.decode())), _image(event))


def test_surrogate_pair_halves_read_back_as_one_character() -> None:
    """Not a zenboard bug, a JSON property the round trip accounts for (see `_json_str`): a high
    surrogate followed by a low one is escaped as two \\u escapes, which JSON reads as one
    character. Lone surrogates (what surrogateescape produces) come back unchanged."""
    line = wire.encode("worker_ready", worker="\ud83d\ude00 \udcff \ud800x")
    assert ev.decode("s", line) == ev.WorkerReady("s", "\U0001f600 \udcff \ud800x")


# --- 3. chunking invariance ----------------------------------------------------------------------


@_settings(400)
@given(suite=short_texts, stream=streams())
def test_chunking_does_not_change_events_or_counts(suite: str, stream: Stream) -> None:
    """Valid lines mixed with garbage, blank and long ones: fed whole or split anywhere, the
    decoder gives the same events and counts as the line-by-line model, losing or repeating none."""
    max_line, blob = stream.max_line, stream.blob()
    expected = _model(suite, stream.lines, b"", max_line)
    whole = _run(suite, [blob], max_line)
    chunked = _run(suite, stream.chunks(blob), max_line)
    _check(whole, expected, "fed whole")
    _check(chunked, expected, "chunked")
    assert (chunked.malformed, chunked.oversized) == (whole.malformed, whole.oversized), (
        "BUG: chunking changed the malformed/oversized counts "
        f"(chunked {chunked.malformed}/{chunked.oversized}, whole {whole.malformed}/"
        f"{whole.oversized}, max_line {max_line})"
    )


def test_long_blank_line_counts_the_same_chunked_or_whole() -> None:
    """Minimal case of the bug property 3 finds: a whitespace-only line longer than max_line is
    ignored when it arrives in one chunk (blank lines are skipped before the length check) but
    counted as oversized when it arrives in pieces (the partial-line check looks only at length)."""
    line = b" " * 11 + b"\n"
    whole = LineDecoder("s", max_line=10)
    whole.feed(line)
    chunked = LineDecoder("s", max_line=10)
    chunked.feed(line[:11])
    chunked.feed(line[11:])
    assert (chunked.malformed, chunked.oversized) == (whole.malformed, whole.oversized), (
        f"BUG: a blank {len(line) - 1}-byte line (max_line 10) is oversized={chunked.oversized} "
        f"chunked but oversized={whole.oversized} whole"
    )


# --- 4. truncation -------------------------------------------------------------------------------


@_settings(400)
@given(suite=short_texts, stream=streams(), data=st.data())
def test_truncated_stream_keeps_complete_lines_and_counts_the_partial_one(
    suite: str, stream: Stream, data: st.DataObject
) -> None:
    """Cut anywhere (at a line's start, inside it, or just before its newline, where the tail is
    a whole valid object): every line complete before the cut is handled, the partial one is
    counted, never decoded; fed in chunks or whole."""
    max_line, lines = stream.max_line, stream.lines
    index = data.draw(st.integers(0, len(lines)), label="cut in line")
    offset = data.draw(st.integers(0, len(lines[index])), label="at") if index < len(lines) else 0
    head = b"".join(line + b"\n" for line in lines[:index])
    tail = lines[index][:offset] if index < len(lines) else b""
    complete = lines[:index]
    expected = _model(suite, complete, tail, max_line)
    whole = _run(suite, [head + tail], max_line)
    chunked = _run(suite, stream.chunks(head + tail), max_line)
    _check(whole, expected, "fed whole")
    _check(chunked, expected, "chunked")
    assert (chunked.malformed, chunked.oversized) == (whole.malformed, whole.oversized), (
        "BUG: chunking changed the malformed/oversized counts "
        f"(chunked {chunked.malformed}/{chunked.oversized}, whole {whole.malformed}/"
        f"{whole.oversized}, max_line {max_line})"
    )


# --- 5. oversized lines --------------------------------------------------------------------------

MAX_LINE = 200


@st.composite
def oversized_lines(draw: st.DrawFn) -> bytes:
    """A line longer than MAX_LINE: garbage, a valid event, or a valid event padded just past it."""
    how = draw(st.sampled_from(("garbage", "event", "padded")))
    if how == "garbage":
        size = draw(st.integers(MAX_LINE + 1, 4 * MAX_LINE))
        line = draw(st.binary(min_size=size, max_size=size)).replace(b"\n", b"x")
        return line if line.strip() else b"x" + line[1:]  # blank long lines: see the bug above
    if how == "event":
        text = draw(st.text(chars, min_size=MAX_LINE, max_size=2 * MAX_LINE))
        return wire.encode("collect_failed", nodeid="t.py", longrepr=text)[:-1]
    line = _line(draw(wire_events(small=True)))[:-1]
    return line + b" " * max(1, MAX_LINE + 1 - len(line))


fitting_lines = (
    wire_events(small=True)
    .map(lambda event: _line(event)[:-1])
    .filter(lambda line: len(line) <= MAX_LINE)
)


@st.composite
def line_groups(draw: st.DrawFn) -> list[tuple[bytes, list[int], bool]]:
    """Up to two oversized lines, then a valid line that fits (sometimes padded to exactly
    MAX_LINE bytes), each with its chunk cuts, and whether it fits."""
    group = [(draw(oversized_lines()), False) for _ in range(draw(st.integers(0, 2)))]
    good = draw(fitting_lines)
    if draw(st.booleans()):
        good += b" " * (MAX_LINE - len(good))
    group.append((good, True))
    return [
        (line, draw(st.lists(st.integers(0, len(line) + 1), max_size=3)), fits)
        for line, fits in group
    ]


@_settings(300)
@given(
    suite=short_texts,
    groups=st.lists(line_groups(), max_size=5),
    fixed=st.none() | st.sampled_from((7, 3, 2, 1)),
)
def test_oversized_lines_are_skipped_and_the_next_line_still_decodes(
    suite: str, groups: list[list[tuple[bytes, list[int], bool]]], fixed: int | None
) -> None:
    """Lines past max_line (garbage, or valid events) are counted and skipped however they are
    split, and the valid line after them decodes."""
    flat = [item for group in groups for item in group]
    stream = Stream(MAX_LINE, [line for line, _, _ in flat], [cuts for _, cuts, _ in flat], fixed)
    got = _run(suite, stream.chunks(stream.blob()), MAX_LINE)
    expected = [ev.decode(suite, line) for line, _, fits in flat if fits]
    assert _same_events(got.events, expected), "a valid line after an oversized one was lost"
    assert got.oversized == sum(not fits for _, _, fits in flat)
    assert got.malformed == 0


def test_line_of_exactly_max_line_bytes_decodes() -> None:
    line = ev.encode("worker_ready", worker="gw0")[:-1]
    padded = line + b" " * (MAX_LINE - len(line))
    decoder = LineDecoder("s", max_line=MAX_LINE)
    events = [e for chunk in (padded[:150], padded[150:] + b"\n") for e in decoder.feed(chunk)]
    assert events == [ev.WorkerReady("s", "gw0")]
    assert decoder.feed(padded + b" \n" + line + b"\n") == [ev.WorkerReady("s", "gw0")]
    assert (decoder.malformed, decoder.oversized) == (0, 1)
