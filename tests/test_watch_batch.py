"""Which changes make a watch batch, and when (watch.session.Batcher: pure, the clock passed in)."""

from __future__ import annotations

from pathlib import Path

from zenboard.watch.session import MAX_GATHER_MS, Batcher


def _file(tmp_path: Path, name: str, text: str = "x") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_first_change_after_a_quiet_spell_is_a_batch_at_once(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.py")
    batches = Batcher(quiet_ms=100, leading=True)
    assert batches.add({a}, now=10.0) == {a}


def test_what_follows_within_the_window_is_gathered_until_quiet(tmp_path: Path) -> None:
    a, b, c = (_file(tmp_path, n) for n in ("a.py", "b.py", "c.py"))
    batches = Batcher(quiet_ms=100, leading=True)
    assert batches.add({a}, now=10.0) == {a}
    assert batches.add({b}, now=10.05) == set()  # within the window: gathered
    assert batches.add({c}, now=10.12) == set()  # still coming
    assert batches.add(set(), now=10.22) == {b, c}  # quiet for the window: one batch
    assert batches.add({a}, now=11.0) == {a}  # a quiet spell since: at once again


def test_a_saves_second_event_for_an_unchanged_file_reruns_nothing(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.py")
    batches = Batcher(quiet_ms=100, leading=True)
    assert batches.add({a}, now=10.0) == {a}
    assert batches.add({a}, now=10.03) == set()
    assert batches.add(set(), now=10.13) == set()  # same size and mtime: not a new change


def test_a_file_written_again_within_the_window_reruns_once_more(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.py")
    batches = Batcher(quiet_ms=100, leading=True)
    assert batches.add({a}, now=10.0) == {a}
    Path(a).write_text("a longer text")
    assert batches.add({a}, now=10.03) == set()
    assert batches.add(set(), now=10.13) == {a}


def test_without_leading_every_batch_waits_for_the_quiet_window(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.py")
    batches = Batcher(quiet_ms=100, leading=False)
    assert batches.add({a}, now=10.0) == set()
    assert batches.add(set(), now=10.1) == {a}


def test_a_tree_that_never_goes_quiet_is_handed_over_anyway(tmp_path: Path) -> None:
    a, b = _file(tmp_path, "a.py"), _file(tmp_path, "b.py")
    batches = Batcher(quiet_ms=100, leading=True)
    assert batches.add({a}, now=10.0) == {a}
    now = 10.05
    assert batches.add({b}, now=now) == set()
    while now < 10.05 + MAX_GATHER_MS / 1000:
        now += 0.05
        Path(b).write_text(f"{now}")
        handed = batches.add({b}, now=now)
        if handed:
            break
    assert handed == {b}
