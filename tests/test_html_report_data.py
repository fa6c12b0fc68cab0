"""report.html's data and page text from summaries (pure: the browser tests are apart)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from zenboard.errors import InputError
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.records.html_report import html_report, record_text, report_data, script_json
from zenboard.records.merge import check_summary
from zenboard.records.reports import suite_summary


def row(nodeid: str, worker: str, start: float | None, outcome: str = "passed") -> dict[str, Any]:
    data: dict[str, Any] = {"nodeid": nodeid, "outcome": outcome, "worker": worker}
    data["duration"] = 0.5
    if start is not None:
        data["start"] = start
    return data


def summary(rows: list[dict[str, Any]], workers: dict[str, Any]) -> dict[str, Any]:
    counts = {o: sum(r["outcome"] == o for r in rows) for o in ("passed", "failed")}
    return {
        "version": 1,
        "exit_code": 1 if counts["failed"] else 0,
        "suites": [
            {
                "name": "unit",
                "status": "failed" if counts["failed"] else "passed",
                "exit_code": 1 if counts["failed"] else 0,
                "duration": 3.0,
                "collected": len(rows),
                "counts": {
                    **dict.fromkeys(("skipped", "error", "xfailed", "xpassed", "not_run"), 0),
                    **counts,
                },
                "unreported": 0,
                "not_run": [],
                "interrupted": [],
                "workers": workers,
                "tests": rows,
                "errors": [],
                "stream": dict.fromkeys(("malformed", "oversized", "duplicates", "corrected"), 0),
                "rootdir": "",
            }
        ],
    }


WORKERS = {
    "gw10": {"crashed": False},
    "gw1": {"crashed": True, "replaced_by": "gw3", "crashed_at": 1000.9, "crashed_test": "t::b"},
    "gw3": {"crashed": False, "replaces": "gw1"},
    "gw2": {"crashed": False},
}


def test_lanes_are_in_slot_order_with_each_replacement_after_its_crashed_worker() -> None:
    rows = [row("t::a", "gw1", 1000.0), row("t::b", "gw1", 1000.5, "failed")]
    data = report_data([("", summary(rows, WORKERS))])
    assert [lane["worker"] for lane in data["lanes"]] == ["gw1", "gw3", "gw2", "gw10"]
    assert data["lanes"][0]["crashed_at"] == 900, "milliseconds from the first start"


def test_times_are_milliseconds_from_the_first_start_and_unknown_starts_stay_null() -> None:
    rows = [row("t::a", "gw1", 1000.0), row("t::b", "gw2", 1002.0), row("t::c", "gw2", None)]
    data = report_data([("", summary(rows, {}))])
    assert [(t[0], t[4], t[5]) for t in data["tests"]] == [
        ("t::a", 0, 500.0),
        ("t::b", 2000, 500.0),
        ("t::c", None, 500.0),
    ]
    assert data["span"] == 2500


def test_shards_get_lanes_of_their_own() -> None:
    one = summary([row("t::a", "gw0", 10.0)], {"gw0": {"crashed": False}})
    two = summary([row("t::b", "gw0", 11.0)], {"gw0": {"crashed": False}})
    data = report_data([("1/2", one), ("2/2", two)])
    assert [(lane["shard"], lane["worker"]) for lane in data["lanes"]] == [
        ("1/2", "gw0"),
        ("2/2", "gw0"),
    ]
    assert [t[2] for t in data["tests"]] == [0, 1]


@pytest.mark.parametrize(
    "text", ["</script><script>x()</script>", "<!--", "a\u2028b\u2029", "\udcff"]
)
def test_embedded_json_cannot_end_its_script_element(text: str) -> None:
    embedded = script_json({"id": text})
    assert not re.search(r"[<>&\u2028\u2029\ud800-\udfff]", embedded)
    assert json.loads(embedded) == {"id": text}


def test_the_page_holds_no_untrusted_markup_and_fetches_nothing() -> None:
    rows = [row("t::x[</script><img src=x onerror=alert(1)>]", "gw0", 5.0, "failed")]
    page = html_report([("", summary(rows, {}))], {("unit", rows[0]["nodeid"]): "<b>bold</b>"})
    assert "<img" not in page and "<b>" not in page
    assert page.count("</script>") == 2
    assert "default-src 'none'" in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)


def test_failure_text_is_the_failed_phases_only() -> None:
    record = {
        "setup": {"outcome": "passed", "longrepr": "[gw0] linux -- Python"},
        "call": {"outcome": "failed", "longrepr": "E   assert 1 == 2"},
        "teardown": {"outcome": "passed"},
    }
    assert record_text(record) == "[call]\nE   assert 1 == 2"


def test_merge_reads_rows_without_start_and_refuses_a_start_that_is_no_time() -> None:
    old = summary([{k: v for k, v in row("t::a", "gw0", None).items()}], {})
    assert check_summary(Path("old/summary.json"), old) is old
    bad = summary([row("t::a", "gw0", 1.0)], {})
    bad["suites"][0]["tests"][0]["start"] = "noon"
    with pytest.raises(InputError, match=r"tests\[0\]\.start.*seconds since the epoch"):
        check_summary(Path("bad/summary.json"), bad)


def test_a_test_that_never_reported_keeps_its_start_for_the_timeline() -> None:
    state = RunState.for_suites(["s"])
    for event in (
        ev.SuiteLaunched("s", ("pytest",), 1, 100.0),
        ev.TestStarted("s", "t::a", "main", time=100.5),
        ev.TestFinished("s", "t::a", "main", "passed", 0.2, time=100.7),
        ev.TestStarted("s", "t::b", "main", time=100.8),
        ev.SuiteExited("s", -9, 102.0),
    ):
        apply(state, event)
    rows = {row["nodeid"]: row for row in suite_summary(state.suites["s"], 103.0)["tests"]}
    assert rows["t::a"]["start"] == 100.5
    assert rows["t::b"]["unreported"] is True and rows["t::b"]["start"] == 100.8


def test_each_worker_a_retried_test_took_down_crashed_at_its_own_time() -> None:
    """A test that kills its worker on every attempt: each worker's `crashed_at` is when its own
    `worker_down` arrived, not when the test's last attempt ended."""
    state = RunState.for_suites(["s"])
    down = b'{"v": 1, "type": "worker_down", "worker": "%s", "crashed": true, "test": "t::x"}'
    events: list[ev.Event] = [ev.SuiteLaunched("s", ("pytest",), 1, 100.0)]
    for worker, at in (("gw0", 101.0), ("gw2", 102.0), ("gw3", 103.0)):
        events.append(ev.TestStarted("s", "t::x", worker, time=at - 0.5))
        events.append(ev.decode("s", down % worker.encode(), now=at))
    events.append(ev.TestFinished("s", "t::x", "gw3", "failed", 0.0, attempts=3, time=103.0))
    for event in events:
        apply(state, event)
    workers = suite_summary(state.suites["s"], 104.0)["workers"]
    assert [workers[w]["crashed_at"] for w in ("gw0", "gw2", "gw3")] == [101.0, 102.0, 103.0]


def test_suite_errors_are_in_the_page_data_and_an_empty_suite_only_when_named() -> None:
    data = summary([row("t::a", "gw0", 10.0)], {})
    data["suites"][0]["errors"] = [
        {"nodeid": "tests/test_imp.py", "longrepr": "E   ModuleNotFoundError: <b>zz</b>"},
        {"nodeid": "", "longrepr": "pytest stopped before the run started"},
    ]
    empty = {**data["suites"][0], "name": "none", "status": "no tests", "tests": [], "errors": []}
    data["suites"].append(empty)
    assert report_data([("", data)], empty={"none"})["errors"] == [
        [0, "tests/test_imp.py", "E   ModuleNotFoundError: <b>zz</b>"],
        [0, "", "pytest stopped before the run started"],
        [1, "", "selected no tests"],
    ]
    assert len(report_data([("", data)])["errors"]) == 2  # allowed to be empty: no error
    page = html_report([("", data)])
    assert "<b>zz" not in page and "\\u003cb\\u003ezz" in page
