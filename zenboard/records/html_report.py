"""`report.html`: a run's (or merged shards') results as one self-contained page.

The page holds its data once, as JSON inside a `<script type="application/json">` element, and
a small inline script draws it with DOM text nodes only (never `innerHTML`), so no text from a
test can become markup. The JSON is escaped so that no `</script>` or `<!--` in it can end the
element early. Nothing is fetched when the page is viewed: a Content-Security-Policy allows only
the page's own script and style, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from zenboard.records.html_assets import SCRIPT, STYLE

PAGE = "report.html"
TEXT_CHARS = 20_000
"""A failure text is cut to this many characters (the suite's JSON report keeps it whole)."""
TEXTS_KEPT = 1_000
"""Failure texts carried at most; further failures show their one-line reason only."""

Texts = Mapping[tuple[str, str], str]
"""(suite, node id) -> a failed test's text (its tracebacks)."""


def record_text(record: Mapping[str, Any]) -> str:
    """The failure text of a pytest-json-report test record: each failed phase's longrepr
    (xdist gives passed phases a longrepr too: the worker's platform line)."""
    parts = []
    for phase in ("setup", "call", "teardown", "???"):
        stage = record.get(phase)
        failed = isinstance(stage, dict) and (stage.get("outcome") == "failed" or phase == "???")
        if failed and isinstance(stage, dict) and stage.get("longrepr"):
            parts.append(f"[{phase}]\n{stage['longrepr']}")
    return "\n".join(parts)


def _lane_order(workers: Mapping[str, Any]) -> list[str]:
    """Worker ids in slot order (`gw2` before `gw10`), each replacement right after the worker
    it replaced: a crashed lane and the one that took its place read as one slot."""

    def key(worker: str) -> tuple[str, int, str]:
        match = re.fullmatch(r"(\D*)(\d+)", worker)
        return (match.group(1), int(match.group(2)), "") if match else (worker, -1, worker)

    order: list[str] = []
    for worker in sorted(workers, key=key):
        row = workers[worker]
        if isinstance(row, dict) and row.get("replaces") in workers:
            continue  # placed after the worker it replaced
        while worker not in order:
            order.append(worker)
            nxt = workers[worker].get("replaced_by") if isinstance(workers[worker], dict) else None
            if not isinstance(nxt, str) or nxt not in workers:
                break
            worker = nxt
    order += [w for w in sorted(workers, key=key) if w not in order]  # a cycle in forged input
    return order


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class _Builder:
    """Gathers lanes and tests of one or more summaries into the page's data."""

    def __init__(self, texts: Texts, empty: Collection[str] = ()) -> None:
        self.texts = texts
        self.empty = empty
        self.suites: list[dict[str, Any]] = []
        self.suite_index: dict[str, int] = {}
        self.lanes: list[dict[str, Any]] = []
        self.lane_index: dict[tuple[int, str, str], int] = {}
        self.tests: list[list[Any]] = []
        self.failures: list[list[Any]] = []
        self.errors: list[list[Any]] = []
        self.times: list[float] = []

    def suite(self, suite: Mapping[str, Any]) -> int:
        name = str(suite.get("name", ""))
        index = self.suite_index.get(name)
        if index is None:
            index = self.suite_index[name] = len(self.suites)
            self.suites.append({"name": name, "status": "", "counts": {}, "not_run": 0})
        entry = self.suites[index]
        entry["status"] = _worst(entry["status"], str(suite.get("status", "")))
        counts = suite.get("counts") if isinstance(suite.get("counts"), dict) else {}
        for key, value in (counts or {}).items():
            if isinstance(value, int):
                entry["counts"][key] = entry["counts"].get(key, 0) + value
        return index

    def lane(self, suite: int, shard: str, worker: str, row: Mapping[str, Any]) -> int:
        key = (suite, shard, worker)
        if key not in self.lane_index:
            self.lane_index[key] = len(self.lanes)
            crashed_at = _number(row.get("crashed_at"))
            if crashed_at is not None:
                self.times.append(crashed_at)
            self.lanes.append(
                {
                    "suite": suite,
                    "shard": shard,
                    "worker": worker,
                    "crashed": row.get("crashed") is True,
                    "crashed_at": crashed_at,
                    "crashed_test": row.get("crashed_test"),
                    "replaces": row.get("replaces"),
                    "replaced_by": row.get("replaced_by"),
                    "restarts": row.get("restarts") or 0,
                }
            )
        return self.lane_index[key]

    def add(self, shard: str, summary: Mapping[str, Any]) -> None:
        for suite in summary.get("suites") or []:
            index = self.suite(suite)
            workers = suite.get("workers") if isinstance(suite.get("workers"), dict) else {}
            for worker in _lane_order(workers or {}):
                self.lane(index, shard, worker, workers[worker])
            for row in suite.get("tests") or []:
                self.test(index, shard, suite["name"], row)
            self.suite_errors(index, suite)

    def suite_errors(self, suite: int, row: Mapping[str, Any]) -> None:
        """The suite's collection and own errors, and `selected no tests` for a suite named in
        `empty`: [suite, what failed ("" for the suite itself), text]."""
        for error in row.get("errors") or []:
            if isinstance(error, dict):
                nodeid, text = str(error.get("nodeid") or ""), str(error.get("longrepr") or "")
                self.errors.append([suite, nodeid, text[:TEXT_CHARS]])
        if row.get("name") in self.empty and row.get("status") == "no tests":
            self.errors.append([suite, "", "selected no tests"])

    def test(self, suite: int, shard: str, suite_name: str, row: Mapping[str, Any]) -> None:
        nodeid, outcome = str(row.get("nodeid", "")), str(row.get("outcome", ""))
        lane = self.lane(suite, shard, str(row.get("worker", "")), {})
        start, duration = _number(row.get("start")), _number(row.get("duration")) or 0.0
        if start is not None:
            self.times += (start, start + duration)
        flags = (1 if row.get("flaky") else 0) | (2 if row.get("quarantined") else 0)
        flags |= 4 if row.get("unreported") else 0
        index = len(self.tests)
        self.tests.append([nodeid, suite, lane, outcome, start, duration, flags])
        if outcome in ("failed", "error") or row.get("flaky"):
            text = self.texts.get((suite_name, nodeid)) or str(row.get("reason") or "")
            if len(self.failures) >= TEXTS_KEPT:
                text = str(row.get("reason") or "")
            self.failures.append([index, text[:TEXT_CHARS]])

    def data(self, title: str, exit_code: object) -> dict[str, Any]:
        t0 = min(self.times, default=0.0)
        span = max(self.times, default=0.0) - t0
        for test in self.tests:  # times as milliseconds from the first start: a smaller page
            test[4] = None if test[4] is None else round((test[4] - t0) * 1000)
            test[5] = round(test[5] * 1000, 1)
        for lane in self.lanes:
            at = lane["crashed_at"]
            lane["crashed_at"] = None if at is None else round((at - t0) * 1000)
        return {
            "title": title,
            "exit_code": exit_code,
            "t0": t0,
            "span": round(span * 1000),
            "suites": self.suites,
            "lanes": self.lanes,
            "tests": self.tests,
            "failures": self.failures,
            "errors": self.errors,
        }


_STATUS_RANK = ("error", "failed", "cancelled", "passed", "no tests")


def _worst(a: str, b: str) -> str:
    if not a:
        return b
    rank = {s: i for i, s in enumerate(_STATUS_RANK)}
    return a if rank.get(a, len(rank)) <= rank.get(b, len(rank)) else b


def report_data(
    summaries: Sequence[tuple[str, Mapping[str, Any]]],
    texts: Texts | None = None,
    empty: Collection[str] = (),
) -> dict[str, Any]:
    """The page's data from summaries as summary.json holds them, each with its shard's label
    ("" for a run that is not a merge): lanes are per suite, shard and worker. `empty` names
    the suites that selected no test though they do not allow it (an error of the run)."""
    builder = _Builder(texts or {}, empty)
    for shard, summary in summaries:
        builder.add(shard, summary)
    first = summaries[0][1] if summaries else {}
    if len(summaries) > 1:
        title = f"{len(summaries)} reports merged"
    else:
        title = "shard " + str(first["shard"]) if first.get("shard") else "run"
    return builder.data(title, first.get("exit_code") if len(summaries) == 1 else None)


def script_json(data: object) -> str:
    """`data` as JSON that is safe inside a `<script>` element: no `<`, `>` or `&` (so no
    `</script>` or `<!--`), and no U+2028/U+2029 or lone surrogate (ASCII escapes)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CSP = (
    "default-src 'none'; script-src '{script}'; style-src '{style}'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def page(data: Mapping[str, Any], exit_code: object = None) -> str:
    """The whole `report.html` for `data` (see `report_data`)."""
    code = data.get("exit_code") if exit_code is None else exit_code
    policy = html.escape(CSP.format(script=_sha256(SCRIPT), style=_sha256(STYLE)), quote=False)
    title = html.escape(f"zenboard report: {data.get('title', 'run')}, exit {code}")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<h1 id="title">{title}</h1>\n<noscript>This report draws itself with JavaScript: '
        "the same results are in summary.json beside it.</noscript>\n"
        f'<script type="application/json" id="report-data">{script_json(data)}</script>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def html_report(
    summaries: Sequence[tuple[str, Mapping[str, Any]]],
    texts: Texts | None = None,
    exit_code: object = None,
    empty: Collection[str] = (),
) -> str:
    """`report.html`'s text for summaries as summary.json holds them (see `report_data`)."""
    return page(report_data(summaries, texts, empty), exit_code)


def texts_of(rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> dict[tuple[str, str], str]:
    """(suite, node id) -> failure text, from (suite, node id, pytest-json-report record)."""
    found: dict[tuple[str, str], str] = {}
    for suite, nodeid, record in rows:
        text = record_text(record)
        if text:
            found[(suite, nodeid)] = text
    return found
