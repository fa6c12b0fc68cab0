"""Watch mode end to end: real watchfiles on a real directory, real pytest subprocesses.

`HeadlessWatch` runs in a thread of the test; its timeline (every event and every trigger, in
the order the consumer saw them) is what the tests read. Waits are bounded generously because
other jobs share the machine; nothing asserts how long anything took.
"""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ZENBOARD, pid_alive, run_cli, suites_toml, write_project
from zenboard.config import load_config
from zenboard.engine.process import descendants
from zenboard.headless.run import RunOptions
from zenboard.headless.watch import HeadlessWatch
from zenboard.model import events as ev
from zenboard.model.state import SuiteStatus
from zenboard.watch.session import WatchTrigger
from zenboard.watch.settings import load_watch_settings

pytestmark = pytest.mark.slow

WAIT = 240.0
QUIET_MS = 300
"""Wider than the default 100 ms, so a writer descheduled mid-save on a loaded machine is still
one batch (the tests count triggers); the window's own behaviour is the same."""
NO_CACHE = '"-p", "no:cacheprovider"'

Item = ev.Event | WatchTrigger


class Watching:
    """A HeadlessWatch in a thread, with its timeline."""

    def __init__(self, project: Path, quiet_ms: int = QUIET_MS) -> None:
        config = load_config(project)
        self.project = project
        self.timeline: list[Item] = []
        self.out = io.StringIO()
        self.watch = HeadlessWatch(
            config,
            config.suites,
            load_watch_settings(config, quiet_ms),
            RunOptions(ci=True, out=self.out),
            on_event=self.timeline.append,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.code: int | None = None

    def _run(self) -> None:
        self.code = self.watch.run()

    def __enter__(self) -> Watching:
        self._thread.start()
        assert self.watch.wait_ready(), "the watcher never armed"
        return self

    def __exit__(self, *exc: object) -> None:
        self.watch.stop()
        self._thread.join(60)

    def wait_for(self, what: str, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not done():
            assert self._thread.is_alive(), (
                f"watch ended while waiting for {what}:\n{self.out.getvalue()}"
            )
            assert time.monotonic() < deadline, (
                f"gave up waiting for {what}:\n{self.out.getvalue()}"
            )
            time.sleep(0.05)

    def triggers(self) -> list[WatchTrigger]:
        return [i for i in self.timeline if isinstance(i, WatchTrigger)]

    def since(self, trigger: WatchTrigger | None) -> list[Item]:
        items = list(self.timeline)
        return items[items.index(trigger) + 1 :] if trigger is not None else items

    def exits(self, suite: str, trigger: WatchTrigger | None = None) -> list[ev.SuiteExited]:
        return [
            i for i in self.since(trigger) if isinstance(i, ev.SuiteExited) and i.suite == suite
        ]

    def launches(self, trigger: WatchTrigger | None = None) -> list[ev.SuiteLaunched]:
        return [i for i in self.since(trigger) if isinstance(i, ev.SuiteLaunched)]

    def wait_initial_runs(self) -> None:
        names = [s.name for s in self.watch.suites]
        self.wait_for("the first runs", lambda: all(self.exits(n) for n in names))

    def next_trigger(self, edit: Callable[[], None]) -> WatchTrigger:
        before = len(self.triggers())
        edit()
        self.wait_for("a trigger", lambda: len(self.triggers()) > before)
        trigger = self.triggers()[before]
        for plan in trigger.plan:  # wait until every phase of every rerun has ended
            self.wait_for(
                f"{plan.suite} to rerun",
                lambda p=plan: len(self.exits(p.suite, trigger)) >= len(p.phases),
            )
        return trigger


def touch(path: Path, text: str | None = None) -> Callable[[], None]:
    def edit() -> None:
        path.write_text(text if text is not None else path.read_text() + "\n")

    return edit


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Three suites: two selected by marker from the same directory, one in its own."""
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(
                f'name = "unit"\nargs = ["-m", "unit", {NO_CACHE}]\nworkers = 0',
                f'name = "api"\nargs = ["-m", "api", {NO_CACHE}]\nworkers = 0',
                f'name = "other"\ncwd = "other"\nargs = [{NO_CACHE}]\nworkers = 0',
            ),
            "pkg/__init__.py": "",
            "pkg/base.py": "VALUE = 1\n",
            "pkg/mid.py": "from pkg.base import VALUE\n\ndef double():\n    return VALUE * 2\n",
            "pkg/api.py": "def handler():\n    return 'ok'\n",
            "tests/conftest.py": "",
            "tests/test_unit.py": """
                import pytest
                from pkg.mid import double
                pytestmark = pytest.mark.unit
                def test_double():
                    assert double() == 2
            """,
            "tests/test_api.py": """
                import pytest
                from pkg.api import handler
                pytestmark = pytest.mark.api
                def test_handler():
                    assert handler() == "ok"
            """,
            "other/test_other.py": "def test_other():\n    pass\n",
        },
    )


def test_an_edit_reruns_only_the_suites_importing_it_and_conftest_reruns_all(project: Path) -> None:
    with Watching(project) as w:
        w.wait_initial_runs()
        transitive = w.next_trigger(touch(project / "pkg/base.py"))
        assert transitive.files == ("pkg/base.py",)
        assert transitive.suites == ("unit",)
        assert {launch.suite for launch in w.launches(transitive)} == {"unit"}
        everything = w.next_trigger(touch(project / "tests/conftest.py"))
        assert everything.suites == ("unit", "api", "other")
        assert {launch.suite for launch in w.launches(everything)} == {"unit", "api", "other"}
        direct = w.next_trigger(touch(project / "pkg/api.py"))
        assert direct.suites == ("api",)
        # What the runs wrote (reports, caches) never triggered anything in between.
        assert [t.files for t in w.triggers()] == [
            ("pkg/base.py",),
            ("tests/conftest.py",),
            ("pkg/api.py",),
        ]
        assert all(
            w.watch.state.suites[n].status is SuiteStatus.PASSED for n in ("unit", "api", "other")
        )
    assert w.code == 0
    lines = w.out.getvalue().splitlines()
    assert "watch: 1 file changed (pkg/base.py) -> rerun: unit" in lines
    assert "watch: 1 file changed (tests/conftest.py) -> rerun: unit, api, other" in lines


def test_a_burst_of_500_files_is_one_rerun_per_affected_suite(project: Path) -> None:
    generated = {f"gen/m{i}.py": f"N = {i}\n" for i in range(500)}
    write_project(project, {"gen/__init__.py": "", **generated})
    test_unit = project / "tests/test_unit.py"
    test_unit.write_text("import gen.m0\n" + test_unit.read_text())
    with Watching(project, quiet_ms=400) as w:
        w.wait_initial_runs()

        def burst() -> None:
            for name in generated:
                (project / name).write_text("N = -1\n")

        trigger = w.next_trigger(burst)
        assert len(trigger.files) == 500
        assert trigger.suites == ("unit",)
        (plan,) = trigger.plan
        sentinel = w.next_trigger(touch(project / "pkg/api.py"))
        assert w.triggers() == [trigger, sentinel]
        after_burst = w.since(trigger)[: w.since(trigger).index(sentinel)]
        launched = [i for i in after_burst if isinstance(i, ev.SuiteLaunched)]
        assert [i.suite for i in launched] == ["unit"] * len(plan.phases)
        assert not any(isinstance(i, ev.SuiteExited) and i.cancelled for i in after_burst)


def test_a_change_during_a_run_cancels_it_restarts_it_and_leaves_no_process(
    project: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "release"  # outside the watched project
    write_project(
        project,
        {
            "pyproject.toml": suites_toml(f'name = "slow"\nargs = [{NO_CACHE}]\nworkers = 2'),
            "tests/test_unit.py": f"""
                import pathlib, time
                import pkg.base
                def test_waits_for_release():
                    deadline = time.monotonic() + 200
                    while not pathlib.Path({str(flag)!r}).exists() and time.monotonic() < deadline:
                        time.sleep(0.05)
                def test_quick():
                    pass
            """,
            "tests/test_api.py": "def test_plain():\n    pass\n",
        },
    )
    with Watching(project) as w:
        w.wait_for(
            "the slow test to start",
            lambda: any(
                isinstance(i, ev.TestStarted) and "release" in i.nodeid for i in w.timeline
            ),
        )
        (first,) = w.launches()
        old = [first.pid, *descendants(first.pid)]
        assert len(old) >= 3, "controller and two xdist workers"
        before = len(w.triggers())
        touch(project / "pkg/base.py")()
        w.wait_for("the restart", lambda: len(w.triggers()) > before and len(w.launches()) >= 2)
        cancelled = w.exits("slow")[0]
        assert cancelled.cancelled
        assert w.timeline.index(cancelled) < w.timeline.index(w.launches()[1])
        w.wait_for("the old processes to go", lambda: not any(pid_alive(p) for p in old))
        restarted = w.launches()[1].pid
        flag.write_text("go")
        w.wait_for("the restarted run", lambda: len(w.exits("slow")) >= 2)
        assert w.watch.state.suites["slow"].status is SuiteStatus.PASSED
    assert not pid_alive(restarted)


def test_previously_failed_tests_run_first_without_xdist_then_the_rest(project: Path) -> None:
    write_project(
        project,
        {
            "pyproject.toml": suites_toml(f'name = "unit"\nargs = [{NO_CACHE}]\nworkers = 2'),
            "pkg/mod.py": "OK = True\n",
            # ten tests: the rest is more than a handful, so it keeps the suite's workers
            "tests/test_unit.py": "import pytest\n\n@pytest.mark.parametrize('n', range(10))\n"
            "def test_a1(n):\n    pass\n",
            "tests/test_api.py": """
                from pkg.mod import OK
                def test_b_ok():
                    assert OK
                def test_b_bad():
                    assert not OK
            """,
            "tests/test_zz.py": "def test_broken():\n    assert False\n",
        },
    )
    with Watching(project) as w:
        w.wait_initial_runs()
        trigger = w.next_trigger(touch(project / "pkg/mod.py"))
        after = w.since(trigger)
        started = [i.workers_planned for i in after if isinstance(i, ev.RunStarted)]
        assert started == [0, 2]  # affected without xdist, then the rest with the suite's workers
        order = [i.nodeid for i in after if isinstance(i, ev.TestFinished)]
        failed = {"tests/test_api.py::test_b_bad", "tests/test_zz.py::test_broken"}
        assert set(order[:2]) == failed
        assert order[2] == "tests/test_api.py::test_b_ok"  # the rest of the affected file
        assert set(order[3:]) == {
            *(f"tests/test_unit.py::test_a1[{n}]" for n in range(10)),
            "other/test_other.py::test_other",
        }


def test_a_missing_watched_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for value, words in (("nowhere", "does not exist"), ("file.txt", "is not one")):
        root = write_project(
            tmp_path / value.replace(".", "_"),
            {
                "pyproject.toml": suites_toml('name = "unit"')
                + f'[tool.zenboard.watch]\npaths = ["{value}"]\n',
                "file.txt": "x",
            },
        )
        done = run_cli(["watch", "--ci", "--project", str(root)], cwd=tmp_path, timeout=60)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "tool.zenboard.watch.paths" in done.stderr
        assert words in done.stderr
        assert done.stdout == ""
    good = write_project(tmp_path / "good", {"pyproject.toml": suites_toml('name = "unit"')})
    bad_quiet = run_cli(
        ["watch", "--quiet-ms", "0", "--project", str(good)], cwd=tmp_path, timeout=60
    )
    assert bad_quiet.returncode == 2
    assert "--quiet-ms" in bad_quiet.stderr


def test_cli_prints_one_line_per_trigger_and_stops_cleanly_on_ctrl_c(project: Path) -> None:
    child = subprocess.Popen(
        [*ZENBOARD, "watch", "--ci", "--quiet-ms", str(QUIET_MS), "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    arrived: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # a reader thread, so a silent child cannot hang the test
        assert child.stdout is not None
        for line in child.stdout:
            arrived.put(line.rstrip("\n"))
        arrived.put(None)

    threading.Thread(target=pump, daemon=True).start()

    def read_until(wanted: Callable[[str], bool], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = arrived.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("zenboard watch went silent:\n" + "\n".join(lines)) from None
            if line is None:
                raise AssertionError("zenboard watch ended early:\n" + "\n".join(lines))
            lines.append(line)
            if wanted(line):
                return

    try:
        read_until(lambda line: line.startswith("watch: watching"))
        finished: set[str] = set()

        def all_passed(line: str) -> bool:
            if " passed " in line and line.startswith("["):
                finished.add(line[1 : line.index("]")])
            return finished >= {"unit", "api", "other"}

        read_until(all_passed)
        (project / "pkg/base.py").write_text("VALUE = 1  # edited\n")
        read_until(lambda line: line.startswith("watch: 1 file"))
        assert lines[-1] == "watch: 1 file changed (pkg/base.py) -> rerun: unit"
        read_until(lambda line: line.startswith("[unit] passed"))
        child.send_signal(signal.SIGINT)
        assert child.wait(60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(60)
    rest: list[str] = []
    while (line := arrived.get(timeout=30)) is not None:
        rest.append(line)
    assert rest[-1] == "watch: stopped"
    assert sum(1 for line in lines + rest if line.startswith("watch: ") and "changed" in line) == 1


def test_a_watch_whose_output_nobody_reads_any_more_stops(project: Path) -> None:
    """`zenboard watch | head -1` ends (a watch otherwise runs until Ctrl+C) without a trace."""
    child = subprocess.Popen(
        [*ZENBOARD, "watch", "--ci", "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline().startswith("watch: watching")
        child.stdout.close()
        assert child.wait(120) == 0
        assert "Traceback" not in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(60)
    assert not _processes_mentioning(str(project)), "the suites it started are gone too"


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line holds `text` (a suite's report path, say)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found
