"""Claims and conflicts, without a process: what is shared, how claim files are read (untrusted),
what other worktrees' runs publish, and what the model and summary.json keep.

The real runs (two suites, two git worktrees) are in tests/test_isolation_runs.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from zenboard.engine.claim_files import FILE_BYTES, RunClaims, parse_claim
from zenboard.engine.claim_watch import ClaimWatch
from zenboard.engine.process import start_time
from zenboard.engine.shared_claims import RETAIN, SharedClaims
from zenboard.errors import InputError
from zenboard.model import events as ev
from zenboard.model.claims import Claim, find_conflicts
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.records.merged_isolation import check_isolation, merge_isolation
from zenboard.records.reports import summary


def claim(
    suite: str,
    worker: str,
    value: str = "test_app",
    since: float = 0.0,
    until: float | None = None,
    pid: int = 100,
    **more: object,
) -> Claim:
    return Claim("db", value, suite, worker, pid, since, until, **more)  # type: ignore[arg-type]


# find_conflicts: pure


def test_two_suites_using_one_database_at_once_conflict() -> None:
    a, b = claim("integration", "gw0", pid=1), claim("processing", "gw0", pid=2)
    [conflict] = find_conflicts([a, b])
    assert conflict.holders == (a, b)
    assert conflict.describe() == (
        "database test_app is used by [integration] gw0 and [processing] gw0 at once"
    )


def test_distinct_names_or_one_holder_are_no_conflict() -> None:
    assert find_conflicts([claim("a", "gw0", "x", pid=1), claim("b", "gw0", "y", pid=2)]) == []
    same = claim("a", "gw0", pid=1)
    assert find_conflicts([same, same]) == []


def test_claims_that_never_overlapped_are_no_conflict() -> None:
    """A suite rerun after another ended shares nothing with it."""
    earlier = claim("a", "main", since=0.0, until=10.0, pid=1)
    later = claim("b", "main", since=10.0, pid=2)
    assert find_conflicts([earlier, later]) == []
    overlapping = claim("b", "main", since=9.0, pid=2)
    assert len(find_conflicts([earlier, overlapping])) == 1


def test_every_holder_is_listed_and_same_labels_get_their_pids() -> None:
    holders = [claim("e2e", "main", pid=p) for p in (7, 8)] + [claim("unit", "gw1", pid=9)]
    [conflict] = find_conflicts(holders)
    assert conflict.describe() == (
        "database test_app is used by [e2e] main (pid 7), [e2e] main (pid 8) and [unit] gw1 at once"
    )


def test_other_worktrees_claims_meet_ours_never_each_other() -> None:
    mine = claim("integration", "gw0", pid=1)
    theirs = claim("integration", "gw0", pid=5, worktree="/wt/b", zenboard=50)
    third = claim("integration", "gw0", "other", pid=6, worktree="/wt/c", zenboard=60)
    also_third = claim("integration", "gw1", "other", pid=7, worktree="/wt/c", zenboard=60)
    [conflict] = find_conflicts([mine], [theirs, third, also_third])
    assert conflict.cross_worktree
    assert conflict.describe("/wt/a") == (
        "database test_app is used by [integration] gw0 in /wt/a and "
        "[integration] gw0 in /wt/b (zenboard pid 50) at once"
    )


def test_a_database_on_another_server_is_another_database() -> None:
    """Each worktree's task has its own Postgres: one name on two servers is two databases."""
    mine = claim("integration", "gw0", pid=1, scope="in compose project app-t1")
    theirs = claim(
        "integration",
        "gw0",
        pid=5,
        worktree="/wt/b",
        zenboard=50,
        scope="in compose project app-t2",
    )
    assert find_conflicts([mine], [theirs]) == []
    same_server = claim("processing", "gw0", pid=2, scope="in compose project app-t1")
    [conflict] = find_conflicts([mine, same_server])
    assert conflict.describe() == (
        "database test_app (in compose project app-t1) is used by [integration] gw0 and "
        "[processing] gw0 at once"
    )


# Claim files: untrusted lines


def line(**fields: object) -> bytes:
    base: dict[str, object] = {
        "kind": "db",
        "value": "test_app",
        "suite": "x",
        "worker": "gw0",
        "pid": 42,
        "time": 5.0,
    }
    return json.dumps({**base, **fields}).encode()


def test_a_claim_line_is_taken_with_the_runs_suite_and_a_bounded_time() -> None:
    parsed = parse_claim(line(suite="forged"), "integration", since=10.0, now=20.0, run_pid=3)
    assert parsed == Claim("db", "test_app", "integration", "gw0", 42, 10.0, run_pid=3)
    late = parse_claim(line(time=99.0), "s", since=10.0, now=20.0)
    assert late is not None and late.since == 20.0


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1]",
        line(kind="DROP TABLE"),
        line(kind=3),
        line(value=""),
        line(value="x" * 2000),
        line(value="a\x00b"),
        line(value="a\x1b[2Jb"),
        line(scope=7),
        line(scope="x" * 300),
        line(worker="../gw0"),
        line(pid=-1),
        line(pid=True),
        b"[" * 5000,
    ],
)
def test_malformed_claim_lines_are_skipped(raw: bytes) -> None:
    assert parse_claim(raw, "s", 0.0, 1.0) is None


def test_the_xdist_controllers_claims_are_dropped() -> None:
    """Under xdist the controller imports the settings but uses no database."""
    assert parse_claim(line(worker="main"), "s", 0.0, 1.0, main=False) is None
    assert parse_claim(line(worker="gw0"), "s", 0.0, 1.0, main=False) is not None


def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    (folder / "claims").mkdir(parents=True)
    return folder


def test_claim_files_are_read_incrementally_whole_lines_only(tmp_path: Path) -> None:
    folder = run_dir(tmp_path)
    claims = RunClaims(folder, "integration", since=0.0)
    file = folder / "claims" / "42.jsonl"
    file.write_bytes(line() + b"\n" + line(value="half")[:20])
    assert claims.read()
    assert [c.value for c in claims.claims.values()] == ["test_app"]
    with file.open("ab") as out:
        out.write(line(value="half")[20:] + b"\n")
    assert claims.read()
    assert [c.value for c in claims.claims.values()] == ["test_app", "half"]
    assert not claims.read()  # nothing new


def test_claim_files_through_links_fifos_or_over_the_bound_are_not_read(tmp_path: Path) -> None:
    folder = run_dir(tmp_path)
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_bytes(line(value="linked") + b"\n")
    (folder / "claims" / "1.jsonl").symlink_to(elsewhere)
    os.mkfifo(folder / "claims" / "2.jsonl")
    (folder / "claims" / "3.jsonl").write_bytes(b"x" * (FILE_BYTES + 10))
    (folder / "claims" / "notes.txt").write_bytes(line(value="named wrong") + b"\n")
    claims = RunClaims(folder, "s", 0.0)
    assert not claims.read()
    assert claims.claims == {}
    assert claims.skipped == 1  # the oversized one, counted once


# Other worktrees' runs (the shared dir)


def publish_as(folder: Path, pid: int, started: int, rows: list[dict[str, object]]) -> Path:
    path = folder / "claims" / f"{pid}-{started}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"version": 1, "pid": pid, "worktree": "/wt/b", "claims": rows}
    path.write_text(json.dumps(doc))
    return path


def row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "db",
        "value": "test_app",
        "suite": "integration",
        "worker": "gw0",
        "pid": 7,
        "since": 1.0,
        "until": None,
    }
    return {**base, **fields}


def test_published_claims_are_read_by_the_other_runs(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    mine = SharedClaims(registry, "/wt/a")
    mine.publish([claim("integration", "gw0", since=3.0, run_pid=9)])
    assert mine.faults == []
    assert mine.others() == []  # its own file is not another run's
    written = json.loads((registry / "claims" / mine.name).read_text())
    assert written["worktree"] == "/wt/a"
    assert written["claims"][0]["since"] == 3.0
    assert oct((registry / "claims" / mine.name).stat().st_mode & 0o777) == "0o600"
    # The parent process stands in for a live zenboard of another worktree.
    parent = os.getppid()
    started = start_time(parent)
    assert started is not None
    publish_as(registry, parent, started, [row(), row(value="x" * 5000), row(suite=3)])
    [theirs] = mine.others()
    assert theirs == Claim("db", "test_app", "integration", "gw0", 7, 1.0, None, 0, "/wt/b", parent)


def test_a_gone_runs_claims_end_with_its_file_and_the_file_goes_later(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    reader = SharedClaims(registry, "/wt/a")
    gone = publish_as(registry, 4_000_000, 123, [row()])  # no such pid
    [ended] = reader.others()
    assert ended.until == pytest.approx(gone.stat().st_mtime)
    old = time.time() - RETAIN - 5
    os.utime(gone, (old, old))
    assert reader.others() == []
    assert not gone.exists()


def test_a_symlink_in_the_shared_dir_is_not_followed(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    target = publish_as(
        tmp_path / "elsewhere", os.getppid(), start_time(os.getppid()) or 1, [row()]
    )
    (registry / "claims").mkdir(parents=True)
    (registry / "claims" / target.name).symlink_to(target)
    assert SharedClaims(registry, "/wt/a").others() == []


# The watch: runs of this zenboard, checked as they end


def test_the_watch_emits_one_conflict_per_resource_to_each_holding_run(tmp_path: Path) -> None:
    events: list[ev.Event] = []
    watch = ClaimWatch(tmp_path, events.extend, lambda: None)
    dirs = {}
    for run_pid, suite in ((11, "integration"), (12, "processing")):
        dirs[suite] = folder = tmp_path / suite
        (folder / "claims").mkdir(parents=True)
        (folder / "claims" / f"{run_pid + 100}.jsonl").write_bytes(
            line(pid=run_pid + 100, time=time.time()) + b"\n" + line(value=suite) + b"\n"
        )
        watch.started(suite, folder, run_pid, time.time() - 1, main=True)
    recorded = watch.ended(11, time.time())
    watch.close()
    assert {c.value for c in recorded} == {"test_app", "integration"}
    assert all(c.until is not None for c in recorded)
    conflicts = [e for e in events if isinstance(e, ev.ClaimConflict)]
    assert [(e.suite, e.run_pid) for e in conflicts] == [("integration", 11), ("processing", 12)]
    assert conflicts[0].conflict.key == ("db", "", "test_app")
    assert watch.ended(12, time.time())  # the second end says nothing new
    assert len([e for e in events if isinstance(e, ev.ClaimConflict)]) == 2


# The model and summary.json


def test_the_model_keeps_conflicts_of_the_current_run_only() -> None:
    state = RunState.for_suites(["a", "b"])
    apply(state, ev.SuiteLaunched("a", (), 11, 0.0))
    [conflict] = find_conflicts([claim("a", "gw0", pid=1), claim("b", "gw0", pid=2)])
    apply(state, ev.ClaimConflict("a", conflict, run_pid=99))  # an earlier run's
    assert state.conflicts() == []
    apply(state, ev.ClaimConflict("a", conflict, run_pid=11))
    apply(state, ev.ClaimsRecorded("a", (claim("a", "gw0", pid=1),), run_pid=11))
    assert state.conflicts() == [conflict]
    data = summary(state)["isolation"]
    assert data["claims"] == [
        {"suite": "a", "worker": "gw0", "pid": 1, "kind": "db", "value": "test_app", "scope": ""}
    ]
    assert data["conflicts"][0]["holders"][1] == {
        "suite": "b",
        "worker": "gw0",
        "pid": 2,
        "worktree": None,
    }
    assert "at once" in data["conflicts"][0]["message"]
    apply(state, ev.SuiteLaunched("a", (), 12, 1.0))  # a new run starts clean
    assert state.conflicts() == []
    assert state.suites["a"].claims == ()


# merge: each shard's claims and conflicts, side by side


def shard_summary(shard: str, value: str) -> dict[str, object]:
    holder = {"suite": "a", "worker": "gw0", "pid": 1, "worktree": None}
    return {
        "shard": shard,
        "isolation": {
            "claims": [
                {"suite": "a", "worker": "gw0", "pid": 1, "kind": "db", "value": value, "scope": ""}
            ],
            "conflicts": [
                {
                    "kind": "db",
                    "value": value,
                    "scope": "",
                    "holders": [holder, {**holder, "suite": "b"}],
                    "message": "m",
                }
            ],
        },
    }


def test_merged_isolation_keeps_every_shards_claims_marked() -> None:
    merged = merge_isolation(
        [(Path("s1"), shard_summary("1/2", "x")), (Path("s2"), shard_summary("2/2", "y"))]
    )
    assert [(c["shard"], c["value"]) for c in merged["claims"]] == [("1/2", "x"), ("2/2", "y")]
    assert [(c["shard"], c["value"]) for c in merged["conflicts"]] == [("1/2", "x"), ("2/2", "y")]
    assert merge_isolation([(Path("old"), {"shard": "1/1"})]) == {"claims": [], "conflicts": []}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(isolation=[]), "isolation: expected an object"),
        (lambda d: d["isolation"].update(claims={}), "isolation.claims: expected a list"),
        (
            lambda d: d["isolation"]["claims"][0].update(pid="1"),
            r"claims\[0\].pid: expected a whole number",
        ),
        (lambda d: d["isolation"]["claims"][0].update(pid=True), r"claims\[0\].pid"),
        (lambda d: d["isolation"]["conflicts"][0].update(holders=[]), r"conflicts\[0\].holders"),
        (
            lambda d: d["isolation"]["conflicts"][0]["holders"][0].update(worktree=3),
            r"holders\[0\].worktree: expected a path or null",
        ),
    ],
)
def test_a_shards_malformed_isolation_is_one_line(change: Any, where: str) -> None:
    data = shard_summary("1/2", "x")
    change(data)
    with pytest.raises(InputError, match=where):
        check_isolation(Path("s1/summary.json"), data)
