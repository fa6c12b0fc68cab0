"""Playwright suites run for real: Node, @playwright/test, headless Chromium, zenboard's reporter.

One run of a mixed project (module fixture) feeds the fidelity checks: zenboard's events, lanes
and counts are what Playwright's own JSON report (written beside them) says, and a failing spec
carries its error. The demo's e2e suite shows per-worker isolation through its servers' log;
a cancelled run leaves no browser and no server behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import pid_alive, run_cli, suites_toml, write_project
from tests.playwright_env import link_modules, node_modules, playwright_config
from zenboard.commands.demo import copy_demo
from zenboard.config import load_config
from zenboard.engine import Engine, EventBuffer
from zenboard.engine.process import descendants
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.records import reports

pytestmark = pytest.mark.slow

MIXED_SPEC = """
const { test, expect } = require('@playwright/test');

test('fails with a clear error', async ({ page }) => {
  await page.setContent('<p id="total">41</p>');
  await expect(page.locator('#total'), 'the total is the answer').toHaveText('42', { timeout: 300 });
});
test('renders a heading', async ({ page }) => {
  await page.setContent('<h1>Gradebook</h1>');
  await expect(page.locator('h1')).toHaveText('Gradebook');
});
test.skip('is skipped statically', async () => {});
test('is skipped at run time', async () => { test.skip(true, 'not on this platform'); });
test('expected to fail', async () => { test.fail(); expect(1 + 1).toBe(3); });
test('flaky: passes on its retry', async ({}, testInfo) => { expect(testInfo.retry).toBe(1); });
test.describe('a group', () => {
  test('one', async () => {});
  test('two', async ({ page }) => { await page.setContent('<b>x</b>'); });
  test('three', async () => {});
});
"""


@dataclass
class EngineRun:
    events: list[ev.Event]
    state: RunState
    report_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def run_engine(
    project: Path,
    suite: str,
    nodeids: tuple[str, ...] = (),
    report: str = "latest",
    deadline: float = 240.0,
) -> EngineRun:
    config = load_config(project)
    buffer = EventBuffer()
    report_dir = project / ".zenboard" / "reports" / report
    engine = Engine(config, buffer, report_dir)
    state = RunState.for_suites([suite])
    events: list[ev.Event] = []
    engine.start(config.suite(suite), nodeids)
    end = time.monotonic() + deadline
    while not (engine.all_done() and not engine.running()):
        assert time.monotonic() < end, "the Playwright suite did not finish"
        engine.exited.wait(0.2)
        engine.exited.clear()
        events += buffer.drain()
    events += buffer.drain()
    for event in events:
        apply(state, event)
    reports.publish(state, engine.staging_dir, report_dir)  # as the views do at a run's end
    engine.close()
    return EngineRun(events, state, report_dir)


@pytest.fixture(scope="module")
def modules() -> Path:
    return node_modules()


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private port registry (projects in tmp dirs are outside git: XDG_STATE_HOME)."""
    home = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(home))
        yield home


def e2e_project(root: Path, modules: Path, specs: dict[str, str], config: str) -> Path:
    files = {
        "pyproject.toml": suites_toml(
            'name = "e2e"\nkind = "playwright"\ncwd = "frontend"\nworkers = 2'
        ),
        "frontend/playwright.config.js": config,
        **{f"frontend/tests/{name}": text for name, text in specs.items()},
    }
    write_project(root, files)
    link_modules(root / "frontend", modules)
    return root


def playwright_report(path: Path) -> dict[str, dict[str, Any]]:
    """nodeid -> Playwright's own view of the test, from its JSON report."""
    report = json.loads(path.read_text())
    found: dict[str, dict[str, Any]] = {}

    def walk(suite: dict[str, Any], titles: list[str], file: str) -> None:
        for spec in suite.get("specs", []):
            for test in spec["tests"]:
                found["::".join([file, *titles, spec["title"]])] = test
        for child in suite.get("suites", []):
            walk(child, [*titles, child["title"]], file)

    for top in report["suites"]:
        walk(top, [], top["file"])
    return found


def expected_outcome(test: dict[str, Any]) -> str:
    """pytest-json-report's word for a Playwright test, by zenboard's documented mapping."""
    if test["status"] == "skipped":
        return "skipped"
    last = test["results"][-1]["status"]
    if test["expectedStatus"] == "failed":
        return "xfailed" if last == "failed" else "failed"
    return "passed" if test["status"] in ("expected", "flaky") else "failed"


def lane(result: dict[str, Any]) -> str:
    return f"pw{result['parallelIndex']}" if result["parallelIndex"] >= 0 else "unscheduled"


@pytest.fixture(scope="module")
def mixed(
    tmp_path_factory: pytest.TempPathFactory, modules: Path, registry_home: Path
) -> EngineRun:
    project = e2e_project(
        tmp_path_factory.mktemp("mixed"),
        modules,
        {"mixed.spec.js": MIXED_SPEC},
        playwright_config(workers=2, retries=1),
    )
    return run_engine(project, "e2e")


def test_events_and_counts_equal_playwrights_json_report(mixed: EngineRun) -> None:
    theirs = playwright_report(mixed.report_dir / "e2e.json")
    suite = mixed.state.suites["e2e"]
    assert len(theirs) == 9
    assert {n: (t.outcome, t.worker) for n, t in suite.tests.items()} == {
        n: (expected_outcome(t), lane(t["results"][-1])) for n, t in theirs.items()
    }
    finished = Counter(e.nodeid for e in mixed.of(ev.TestFinished))
    assert set(finished.values()) == {1}
    per_lane = Counter((lane(t["results"][-1]), expected_outcome(t)) for t in theirs.values())
    for worker in suite.workers.values():
        assert {o: c for o, c in worker.counts.items() if c} == {
            o: c for (w, o), c in per_lane.items() if w == worker.id
        }, worker.id
    stats = json.loads((mixed.report_dir / "e2e.json").read_text())["stats"]
    counts = suite.counts
    assert counts["passed"] + counts["xfailed"] == stats["expected"] + stats["flaky"]
    assert counts["failed"] == stats["unexpected"] == 1
    assert counts["skipped"] == stats["skipped"] == 2
    assert mixed.of(ev.RunStarted)[0].workers_planned == 2
    assert {e.worker for e in mixed.of(ev.TestStarted)} <= {"pw0", "pw1"}
    assert suite.status == "failed" and mixed.of(ev.RunFinished)[0].exitstatus == 1


def test_retries_and_restarted_workers_are_reported_as_playwright_saw_them(
    mixed: EngineRun,
) -> None:
    theirs = playwright_report(mixed.report_dir / "e2e.json")
    flaky = mixed.state.suites["e2e"].tests["mixed.spec.js::flaky: passes on its retry"]
    assert flaky.outcome == "passed"
    assert flaky.record["playwright"]["flaky"] is True
    assert [a["status"] for a in flaky.record["playwright"]["attempts"]] == ["failed", "passed"]
    # A lane's workerIndex changes when Playwright replaces its worker (after every failure).
    indexes: dict[str, set[int]] = {}
    for test in theirs.values():
        for result in test["results"]:
            if result["parallelIndex"] >= 0:
                indexes.setdefault(lane(result), set()).add(result["workerIndex"])
    replaced = Counter(e.worker for e in mixed.of(ev.WorkerReplaced))
    assert all(e.worker == e.replacement for e in mixed.of(ev.WorkerReplaced))
    assert {w: len(i) - 1 for w, i in indexes.items() if len(i) > 1} == dict(replaced)
    assert sum(replaced.values()) >= 2  # the failing test ran twice, the flaky one failed once


def test_a_failing_spec_shows_its_error(mixed: EngineRun) -> None:
    failed = mixed.state.suites["e2e"].tests["mixed.spec.js::fails with a clear error"]
    assert failed.outcome == "failed"
    call = failed.record["call"]
    assert call["outcome"] == "failed"
    assert "the total is the answer" in call["crash"]["message"]
    assert 'Expected: "42"' in call["longrepr"] and 'Received: "41"' in call["longrepr"]
    assert "mixed.spec.js:5" in call["longrepr"]  # the stack points at the assertion
    assert "\x1b[" not in call["longrepr"]
    assert "the total is the answer" in failed.reason()
    xfail = mixed.state.suites["e2e"].tests["mixed.spec.js::expected to fail"]
    assert xfail.outcome == "xfailed" and "toBe" in xfail.record["call"]["longrepr"]


def test_a_rerun_runs_only_the_chosen_tests(mixed: EngineRun) -> None:
    project = mixed.report_dir.parents[2]
    chosen = ("mixed.spec.js::fails with a clear error", "mixed.spec.js::a group::two")
    rerun = run_engine(project, "e2e", chosen, report="rerun")
    assert {e.nodeid for e in rerun.of(ev.TestFinished)} == set(chosen)
    assert {n: t.outcome for n, t in rerun.state.suites["e2e"].tests.items()} == {
        chosen[0]: "failed",
        chosen[1]: "passed",
    }
    assert set(playwright_report(rerun.report_dir / "e2e.json")) == set(chosen)


def test_demo_workers_never_share_a_port_or_a_database(
    tmp_path: Path, modules: Path, registry_home: Path
) -> None:
    project = copy_demo(tmp_path / "demo")
    link_modules(project / "frontend", modules)
    done = run_cli(["run", "e2e", "--ci"], project, env={"XDG_STATE_HOME": str(registry_home)})
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # the demo's labelled failure
    assert "FAILED demo_failure.spec.js::demo failure" in output
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    e2e = summary["suites"][0]
    assert e2e["counts"]["failed"] == 1 and e2e["counts"]["passed"] == 5, e2e
    claim = json.loads((registry_home / "zenboard" / "ports.json").read_text())["tasks"]
    e2e_claims = [
        c for key, c in claim.items() if key.endswith("/e2e") and c["worktree"] == str(project)
    ]
    assert len(e2e_claims) == 1
    claimed = [e2e_claims[0]["ports"][f"e2e_w{i}"] for i in range(2)]

    log = [
        json.loads(line)
        for line in (project / ".zenboard/e2e/backend.log").read_text().splitlines()
    ]
    starts = [e for e in log if e["event"] == "start"]
    # Two workers; a third start when Playwright restarts the worker that failed, which it does
    # only if that worker has tests left (under load the failing test may come last).
    assert {e["worker"] for e in starts} == {"0", "1"}
    live: dict[int, dict[str, Any]] = {}
    for entry in log:
        if entry["event"] == "start":
            for other in live.values():
                assert other["port"] != entry["port"] and other["database"] != entry["database"], (
                    other,
                    entry,
                )
            live[entry["pid"]] = entry
        elif entry["event"] == "stop":
            del live[entry["pid"]]
    assert live == {}  # every server was stopped at worker teardown
    for entry in starts:
        assert entry["database"] == f"test_e2e_w{entry['worker']}"
        assert entry["port"] == claimed[int(entry["worker"])]
    added = [e for e in log if e["event"] == "student_added"]
    assert added
    for entry in added:  # a test's writes reached its own worker's server and database
        assert entry["name"].endswith(f"w{entry['worker']}"), entry


CANCEL_SPEC = """
const path = require('path');
const base = require('@playwright/test');
const { isolatedTest } = require(process.env.ZENBOARD_PLAYWRIGHT_FIXTURES);
const test = isolatedTest(base.test, {
  readyPath: '/',
  start: (b) => ({ command: process.env.ZENBOARD_PYTHON,
    args: ['-m', 'http.server', String(b.port), '--bind', '127.0.0.1', '--directory', path.resolve(__dirname, '..')] }),
});
for (const name of ['a', 'b', 'c', 'd']) {
  test(`waits ${name}`, async ({ page, backend }) => {
    await page.goto('/');
    await page.waitForTimeout(120000);
  });
}
"""


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def test_cancel_leaves_no_browser_or_server_behind(
    tmp_path: Path, modules: Path, registry_home: Path
) -> None:
    project = e2e_project(
        tmp_path / "cancel",
        modules,
        {"cancel.spec.js": CANCEL_SPEC},
        playwright_config(workers=2, extra="timeout: 180000,"),
    )
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, project / ".zenboard" / "reports")
    state = RunState.for_suites(["e2e"])
    run = engine.start(config.suite("e2e"))
    assert run.process is not None
    deadline = time.monotonic() + 120
    tree: list[int] = []
    while True:
        assert time.monotonic() < deadline, "the workers never got their browsers and servers up"
        time.sleep(0.2)
        for event in buffer.drain():
            apply(state, event)
        tree = descendants(run.process.pid)
        browsers = [p for p in tree if "chrom" in _cmdline(p)]
        servers = [p for p in tree if "http.server" in _cmdline(p)]
        busy = [w for w in state.suites["e2e"].workers.values() if w.current]
        if len(busy) == 2 and len(servers) == 2 and browsers:
            break
    engine.cancel("e2e")
    assert run.done.is_set()
    left = [p for p in [run.process.pid, *tree] if pid_alive(p)]
    assert left == [], [(p, _cmdline(p)) for p in left]
    strays = [
        p for p in map(int, filter(str.isdigit, os.listdir("/proc"))) if str(project) in _cmdline(p)
    ]
    assert strays == [], [(p, _cmdline(p)) for p in strays]
    for event in buffer.drain():
        apply(state, event)
    assert state.suites["e2e"].status == "cancelled"


def _stream_of(argv: list[str], cwd: Path, parent: int) -> bytes:
    """What the reporter writes into a pipe handed over as zenboard does, naming `parent`."""
    read_fd, write_fd = os.pipe()
    env = {**os.environ, "ZENBOARD_EVENTS": f"fd:{write_fd}:{parent}"}
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        data = stream.read()
    assert proc.wait(120) == 0, argv  # inert or not, the run itself is unharmed
    return data


def test_the_reporter_writes_only_when_zenboard_is_its_parent(
    tmp_path: Path, modules: Path
) -> None:
    """Started directly by the pid it names: events. Another pid, or npx in between (which does
    not pass the pipe on, so the number names one of Node's own pipes): nothing at all."""
    project = e2e_project(
        tmp_path / "inert",
        modules,
        {
            "plain.spec.js": "const { test } = require('@playwright/test');\ntest('ok', async () => {});\n"
        },
        playwright_config(workers=1),
    )
    from zenboard.engine.commands.playwright import REPORTER

    frontend = project / "frontend"
    direct = [
        "node",
        str(frontend / "node_modules/@playwright/test/cli.js"),
        "test",
        f"--add-reporter={REPORTER}",
    ]
    via_npx = ["npx", "--no-install", "playwright", "test", f"--add-reporter={REPORTER}"]
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        ours = _stream_of(direct, frontend, os.getpid())
        stranger = _stream_of(direct, frontend, sleeper.pid)
        npx = _stream_of(via_npx, frontend, os.getpid())
    finally:
        sleeper.send_signal(signal.SIGTERM)
        sleeper.wait(60)
    kinds = [json.loads(line)["type"] for line in ours.splitlines()]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished" and "test_finished" in kinds
    assert stranger == b""
    assert npx == b""
