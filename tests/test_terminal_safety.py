"""Hostile text from tests and containers is shown, never obeyed, in every command and the dashboard.

The project below has test ids and failure messages holding an OSC title sequence (ESC ... BEL),
an 8-bit CSI (`\\x9b`) and Rich markup (`[bold red]boom[/]`, `[/]`, `[link=...]`), plus a suite
whose collection fails with such a message. pytest escapes control characters in test ids unless
told not to, so the project tells it not to: the ids then reach zenboard raw, as they would from
a plugin or a Playwright title. Every terminal view must show the escapes spelled out (`\\x1b`)
and the markup as its own characters; the JSON reports keep every character exact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget

from tests import test_containers as containers
from tests.helpers import (
    card_text,
    press_until,
    run_cli,
    settled,
    suites_toml,
    wait_for,
    wait_until,
    write_project,
)
from zenboard.model.state import SuiteState, WorkerState
from zenboard.tasks.containers import (
    ContainerSnapshot,
    DockerStatus,
    ExpectedPorts,
    view_from_inspect,
)
from zenboard.tasks.status import container_lines
from zenboard.ui.launcher import make_app
from zenboard.ui.render import worker_row
from zenboard.ui.sources.infra import ContainerRow, InfraSnapshot, StaticInfra
from zenboard.ui.widgets.tests_list import TestsList

RAW = ("\x1b", "\x07", "\x9b")
"""What must never reach a terminal from a test or a container."""
TITLE = "\x1b]0;pwned\x07"
MARKUP_ID = "test_hostile.py::test_hostile[[bold red]boom[/]]"
TITLE_ID = f"test_hostile.py::test_hostile[{TITLE}]"
MESSAGE_SHOWN = "msg \\x1b]52;c;ZXZpbA==\\x07 [/] [link=http://x]click[/link] \\x9b31m"
BROKEN_SHOWN = "broken/test_\\x1b]0;pwned\\x07.py"
IMPORT_ERROR_SHOWN = "RuntimeError: import \\x1b]0;pwned\\x07 \\x9b31m [/] failed"
RAW_IDS = """
    [tool.pytest.ini_options]
    disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true

    [tool.zenboard]
"""
"""pytest leaves control characters in test ids as they are (they reach zenboard raw)."""


def suite_table(name: str, path: str, workers: int) -> str:
    """One `[[tool.zenboard.suites]]` table running the tests in `path`."""
    return f"""
    [[tool.zenboard.suites]]
    name = "{name}"
    args = ["{path}", "-p", "no:cacheprovider"]
    workers = {workers}
"""


HOSTILE = {
    "pyproject.toml": RAW_IDS
    + suite_table("unit", "test_hostile.py", 2)
    + suite_table("broken", "broken", 0),
    "test_hostile.py": """
        import pytest

        @pytest.mark.parametrize("x", ["\\x1b]0;pwned\\x07", "[bold red]boom[/]", "\\x9b31m"])
        def test_hostile(x):
            print("captured \\x1b[2J [/]\\tend")
            assert False, "msg \\x1b]52;c;ZXZpbA==\\x07 [/] [link=http://x]click[/link] \\x9b31m"
    """,
    # A file's name is untrusted too: this one fails to import, with a hostile message.
    f"broken/test_{TITLE}.py": """
        raise RuntimeError("import \\x1b]0;pwned\\x07 \\x9b31m [/] failed")
    """,
}


def assert_shown_not_obeyed(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"raw {raw!r} in:\n{text}"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return write_project(tmp_path / "hostile", HOSTILE)


# Headless commands


@pytest.mark.slow
def test_verify_output_and_proof_log_spell_out_what_tests_wrote(hostile: Path) -> None:
    done = run_cli(["verify", "--runs", "1", "--task", "hostile"], hostile)
    assert done.returncode == 1, done.stdout + done.stderr
    assert_shown_not_obeyed(done.stdout)
    assert "[unit] test_hostile.py::test_hostile[\\x1b]0;pwned\\x07]" in done.stdout
    assert f"[unit] {MARKUP_ID}" in done.stdout
    assert f"collection error in {BROKEN_SHOWN}: E   {IMPORT_ERROR_SHOWN}" in done.stdout
    proof = (hostile / ".zenflow/tasks/hostile/proof_run1.txt").read_text(encoding="utf-8")
    assert_shown_not_obeyed(proof)
    assert "test_hostile[\\x9b31m] (gw" in proof and MESSAGE_SHOWN in proof
    assert f"COLLECTION ERROR {BROKEN_SHOWN}: E   {IMPORT_ERROR_SHOWN}" in proof

    as_json = json.loads(run_cli(["verify", "--runs", "1", "--json"], hostile).stdout)
    assert {t["nodeid"] for t in as_json["failing"]} >= {TITLE_ID, MARKUP_ID}  # exact


@pytest.mark.slow
def test_the_reports_keep_every_character_exact(hostile: Path) -> None:
    run_cli(["run", "--ci"], hostile)
    reports = hostile / ".zenboard/reports/latest"
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    nodeids = {t["nodeid"] for s in summary["suites"] for t in s["tests"]}
    assert TITLE_ID in nodeids and MARKUP_ID in nodeids
    record = next(
        t
        for t in json.loads((reports / "unit.json").read_text(encoding="utf-8"))["tests"]
        if t["nodeid"] == TITLE_ID
    )
    assert "\x1b]52;c;ZXZpbA==\x07" in record["call"]["crash"]["message"]


@pytest.mark.slow
def test_compare_names_a_leaking_test_without_obeying_its_id(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "leak",
        {
            "pyproject.toml": RAW_IDS + suite_table("unit", "test_leak.py", 2),
            "test_leak.py": """
            import os
            import pytest

            @pytest.mark.parametrize("x", ["\\x1b]0;pwned\\x07"])
            def test_alone(x):
                assert "PYTEST_XDIST_WORKER" not in os.environ  # fails only in parallel
            """,
        },
    )
    done = run_cli(["compare", "--reruns", "1"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert_shown_not_obeyed(done.stdout)
    assert "[unit] test_leak.py::test_alone[\\x1b]0;pwned\\x07]" in done.stdout


@pytest.mark.slow
def test_durations_and_ports_spell_out_what_shared_files_hold(tmp_path: Path) -> None:
    # The project's own path is shown too (`env file ...`): a folder's name is not zenboard's.
    project = write_project(tmp_path / f"shared{TITLE}", {"pyproject.toml": "[tool.zenboard]\n"})
    durations = {"version": 1, "suites": {f"cached{TITLE}": {"t.py::test_a": 1.5}}}
    (project / ".zenboard").mkdir()
    (project / ".zenboard/durations.json").write_text(json.dumps(durations), encoding="utf-8")
    done = run_cli(["durations"], project)
    assert done.returncode == 0, done.stderr
    assert_shown_not_obeyed(done.stdout)
    assert "cached\\x1b]0;pwned\\x07" in done.stdout

    # Another worktree's claim in the shared port registry, its path holding an escape.
    other = tmp_path / f"worktree{TITLE}"
    other.mkdir()
    registry = tmp_path / "state/zenboard"
    registry.mkdir(parents=True)
    claims = {"version": 1, "tasks": {"other": {"worktree": str(other), "ports": {"db": 45000}}}}
    (registry / "ports.json").write_text(json.dumps(claims), encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.zenboard.ports]\nservices = { db = 5432 }\n")
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "ZENFLOW_TASK_ID": "mine"}
    done = run_cli(["ports"], project, env=env)
    assert done.returncode == 0, done.stderr
    assert_shown_not_obeyed(done.stdout)
    assert "worktree\\x1b]0;pwned\\x07" in done.stdout
    assert "env file " in done.stdout and "shared\\x1b]0;pwned\\x07/.zenflow" in done.stdout
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-docker.sock"
    done = run_cli(["status"], project, env=env)
    assert done.returncode == 0, done.stderr
    assert_shown_not_obeyed(done.stdout)
    assert "env file " in done.stdout and "shared\\x1b]0;pwned\\x07/.zenflow" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["durations"], ["audit"], ["init", "--dry-run"], ["compose-template"]],
    ids=["durations", "audit", "init", "compose-template"],
)
def test_a_project_path_holding_an_escape_is_spelled_out(tmp_path: Path, args: list[str]) -> None:
    """Commands name the project's files by path; a folder's name is not zenboard's to trust."""
    project = write_project(
        tmp_path / f"proj{TITLE}",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0')
            + "\n[tool.zenboard.ports]\nservices = { db = 5432 }\n",
            "test_a.py": "def test_a(): pass\n",
        },
    )
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "ZENFLOW_TASK_ID": "t1"}
    done = run_cli(args, project, env=env)
    assert "Traceback" not in done.stderr
    assert_shown_not_obeyed(done.stdout + done.stderr)
    assert "proj\\x1b]0;pwned\\x07" in done.stdout + done.stderr


@pytest.mark.slow
def test_an_error_line_spells_out_what_it_quotes(tmp_path: Path) -> None:
    """A refusal (exit 2) may quote a subprocess: here an interpreter whose stderr holds an
    escape sequence."""
    project = write_project(
        tmp_path / "bad",
        {
            "pyproject.toml": suites_toml('name = "unit"\npython = "./python"'),
            "python": "#!/bin/sh\nprintf 'no \\033]0;pwned\\007 python' >&2\nexit 3\n",
        },
    )
    (project / "python").chmod(0o755)
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert_shown_not_obeyed(done.stderr)
    assert "failed: no \\x1b]0;pwned\\x07 python" in done.stderr


# Containers


def inspect_data(**state: Any) -> dict[str, Any]:
    """`docker inspect` of one container, shaped as Docker returns it."""
    return {
        "Id": "0123456789abcdef",
        "Name": "/zb-web-1",
        "RestartCount": 0,
        "Config": {"Labels": {"com.docker.compose.service": f"web{TITLE}[/]"}},
        "State": {"Status": "running", "ExitCode": 0, **state},
        "NetworkSettings": {"Ports": {}},
    }


def test_status_lines_spell_out_labels_and_health_output() -> None:
    health = {"Status": "unhealthy", "FailingStreak": 3, "Log": [{"Output": f"down {TITLE}\n"}]}
    view = view_from_inspect(inspect_data(Health=health), ExpectedPorts())
    lines = "\n".join(container_lines(ContainerSnapshot("zb", DockerStatus(True), (view,))))
    assert_shown_not_obeyed(lines)
    assert "web\\x1b]0;pwned\\x07[/]" in lines and "last check: down \\x1b]0;pwned\\x07" in lines
    gone = container_lines(ContainerSnapshot("zb", DockerStatus(False, f"daemon says {TITLE}")))
    assert gone == ["  docker unavailable: daemon says \\x1b]0;pwned\\x07"]


# test_containers' fixtures, registered here under these names: a running engine with the local
# image, and a fresh Compose project label whose containers are removed afterwards.
image = containers.image
compose_project = containers.project


@pytest.mark.slow
@pytest.mark.docker
def test_status_command_on_a_real_container_with_hostile_label_and_health(
    image: str, compose_project: str, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.zenboard.ports]\nservices = { web = 80 }\n")
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    # The label holds ESC and BEL; the health check prints an OSC title and a `[/]`, then fails.
    check = "printf 'down \\033]0;pwned\\007 [/]'; false"
    container = containers._start(
        image,
        compose_project,
        f"web{TITLE}",
        "sleep",
        "300",
        options=("--health-cmd", check, "--health-interval", "1s", "--health-retries", "1"),
    )
    wait_for(
        lambda: containers._health(container) == "unhealthy", "the container to turn unhealthy"
    )

    def zenboard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zenboard", *args, "--task", compose_project],
            cwd=tmp_path,
            env={**_environ_without_task(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    text = zenboard("status")
    assert text.returncode == 0, text.stderr
    assert_shown_not_obeyed(text.stdout)
    assert "web\\x1b]0;pwned\\x07" in text.stdout
    assert "last check: down \\x1b]0;pwned\\x07 [/]" in text.stdout
    [shown] = json.loads(zenboard("status", "--json").stdout)["containers"]
    assert shown["service"] == f"web{TITLE}"  # JSON stays exact
    assert shown["last_health_output"] == "down \x1b]0;pwned\x07 [/]"


def _environ_without_task() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ZENFLOW_TASK_ID"}


# The dashboard's drawing helpers


def test_a_worker_lane_spells_out_the_test_it_runs() -> None:
    suite = SuiteState("unit")
    worker = WorkerState(f"gw0{TITLE}", current=f"t.py::test[{TITLE}]")
    suite.workers[worker.id] = worker
    row = worker_row(suite, worker, 200).plain
    assert_shown_not_obeyed(row)
    assert "gw0\\x1b]0;pwned\\x07" in row and "t.py::test[\\x1b]0;pwned\\x07]" in row


# The dashboard, on a real run


WIDE = (260, 50)
"""Room for the whole test names and reasons in the failures list."""


@pytest.mark.slow
async def test_the_dashboard_shows_hostile_text_literally(hostile: Path) -> None:
    app = make_app(hostile, run_at_start=True)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await wait_until(pilot, lambda: settled(app), "both suites to finish")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 3, "the failures' rows")
        rows = "\n".join(table.render_line(y).text for y in range(1, 4))
        assert_shown_not_obeyed(rows)
        assert "test_hostile[\\x1b]0;pwned\\x07]" in rows and "[bold red]boom[/]" in rows

        broken = card_text(app, "broken")
        assert_shown_not_obeyed(broken)
        assert f"collection error: {BROKEN_SHOWN}" in broken
        await pilot.press("j")  # the broken suite's card: its output in the log panel
        await wait_until(pilot, lambda: app.log_panel.suite == "broken", "the broken suite")
        log = "\n".join(app.log_panel.render_line(y).text for y in range(app.log_panel.view_height))
        assert_shown_not_obeyed(log)
        assert IMPORT_ERROR_SHOWN in log

        await pilot.press("tab")
        assert table.has_focus
        await press_until(
            pilot, "j", lambda: table.selected() == ("unit", MARKUP_ID), "the markup test's row"
        )
        await pilot.press("enter")
        text = str(app.screen.query_one("#details-text").render())
        assert_shown_not_obeyed(text)
        assert MARKUP_ID in text and MESSAGE_SHOWN in text
        assert "captured \\x1b[2J [/]\tend" in text  # output keeps its tab
        assert "\\x0a" not in text  # and the traceback its lines

        await pilot.press("t")  # rerun from the details: a notification names the test
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")), "the notification")
        said = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert f"rerunning {MARKUP_ID}" in said  # as written: not styled, not a MarkupError
        assert_shown_not_obeyed(app.export_screenshot())
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["unit"].runs == 2, "rerun"
        )


def drawn(widget: Widget) -> str:
    """A widget's lines as drawn on screen, border included."""
    width, height = widget.outer_size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


async def test_the_infra_panels_and_header_show_container_text_literally(tmp_path: Path) -> None:
    project = write_project(tmp_path / "quiet", {"pyproject.toml": "[tool.zenboard]\n"})
    row = ContainerRow(service=f"web{TITLE}[/]", state=f"exited{TITLE}", health="unhealthy")
    infra = StaticInfra(InfraSnapshot(containers=(row,), has_tasks=True))
    app = make_app(project, run_at_start=False, infra=infra)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        panel = drawn(app.containers_panel)
        assert_shown_not_obeyed(panel)
        assert "web\\x1b]0;pwned\\x07[/]" in panel and "exited\\x1b]0;pwned\\x07" in panel

        infra.set(InfraSnapshot(docker_available=False, docker_reason=f"gone {TITLE} [/]"))
        app.poll_infra()
        await pilot.pause()
        panel = drawn(app.containers_panel)
        assert_shown_not_obeyed(panel)
        assert "docker unavailable: gone \\x1b]0;pwned\\x07 [/]" in panel

        app.header.watch_note = f"watch: 1 file changed (test_{TITLE}.py) -> rerun: unit"
        app.header.sync()
        await pilot.pause()
        header = drawn(app.header)
        assert_shown_not_obeyed(header)
        assert "(test_\\x1b]0;pwned\\x07.py)" in header


async def test_an_idle_card_spells_out_the_command_its_config_gives(tmp_path: Path) -> None:
    """The configuration is a file of the project (a cloned repository's): a suite's `args`
    holding an OSC title reached the terminal raw through the idle card's `$ pytest ...` line."""
    config = '[[tool.zenboard.suites]]\nname = "unit"\nargs = ["-k", "\\u001b]0;pwned\\u0007[/]"]\n'
    project = write_project(tmp_path / "quiet", {"pyproject.toml": "[tool.zenboard]\n" + config})
    app = make_app(project, run_at_start=False, infra=StaticInfra())
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        card = card_text(app, "unit")
        assert_shown_not_obeyed(card)
        assert "$ pytest -k '\\x1b]0;pwned\\x07[/]'" in card


async def test_a_filter_with_markup_is_shown_as_typed(tmp_path: Path) -> None:
    """A filter is often a pasted test id; the list's title quotes it (a `[/]` is no markup)."""
    project = write_project(tmp_path / "quiet", {"pyproject.toml": "[tool.zenboard]\n"})
    app = make_app(project, run_at_start=False, infra=StaticInfra())
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("slash", *"x[/]", "enter")
        await pilot.pause()
        assert "tests matching 'x[/]': 0" in drawn(app.table)


@pytest.mark.slow
def test_history_lines_spell_out_what_the_database_holds(tmp_path: Path) -> None:
    """A history database is written by other processes (another worktree, a shared host)."""
    from zenboard.records.history import History, RunRecord, SuiteRecord, TestRecord

    (tmp_path / "pyproject.toml").write_text("")
    hostile = "\x1b]0;pwned\x07[bold]x[/]\x9b31m"
    tests = (TestRecord(f"t.py::{hostile}", "failed", 0.5, "gw0"),)
    with History(tmp_path) as db:
        for outcome in ("passed", "failed"):
            flip = (TestRecord(f"t.py::{hostile}", outcome, 0.5, "gw0"),)
            db.record(
                RunRecord(
                    1.0,
                    2.0,
                    hostile,
                    1,
                    hostile,
                    None,
                    hostile,
                    (SuiteRecord(hostile, "failed", 1.0, 2, False, flip),),
                )
            )
        db.record(
            RunRecord(
                1.0, 2.0, "run", 1, suites=(SuiteRecord("u", "failed", 1.0, 2, False, tests),)
            )
        )
    done = run_cli(["history"], tmp_path)
    assert done.returncode == 0, done.stderr
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in done.stdout
    assert done.stdout.count("\\x1b]0;pwned\\x07") >= 4  # the kind, suites, ids, shard
    assert '"kind": "\\u001b]0;pwned\\u0007' in run_cli(["history", "--json"], tmp_path).stdout
