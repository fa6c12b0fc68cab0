"""Playwright suites without a browser: configuration keys, the command line, reruns, per-worker
ports from the registry, and a suite that cannot run here (shown as unavailable, not a crash)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, run_in_process, suites_toml, write_project
from zenboard.config import SuiteConfig, load_config
from zenboard.engine.commands import build_suite_command, command_preview
from zenboard.engine.commands.playwright import REPORTER, selection_lines, unavailable_reason
from zenboard.errors import ConfigError
from zenboard.tasks.e2e_ports import E2E_PORTS_ENV
from zenboard.tasks.ports import PORT_RANGE

PASSING = "def test_ok():\n    assert True\n"


def fake_playwright(frontend: Path, version: str = "1.65.1") -> Path:
    """A directory laid out as npm installs @playwright/test (the command builder only looks)."""
    package = frontend / "node_modules" / "@playwright" / "test"
    package.mkdir(parents=True)
    (package / "cli.js").write_text("// stand-in\n")
    (package / "package.json").write_text(
        json.dumps({"name": "@playwright/test", "version": version})
    )
    return package


def fake_node(tmp_path: Path) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    node = bin_dir / "node"
    node.write_text("#!/bin/sh\nexit 0\n")
    node.chmod(0o755)
    return str(bin_dir)


def e2e_suite(tmp_path: Path, **keys: str) -> Path:
    body = 'name = "e2e"\nkind = "playwright"\ncwd = "frontend"\n' + "".join(
        f"{k} = {v}\n" for k, v in keys.items()
    )
    return write_project(
        tmp_path / "proj", {"pyproject.toml": suites_toml(body), "frontend/.keep": ""}
    )


def test_project_and_grep_are_playwright_keys(tmp_path: Path) -> None:
    project = e2e_suite(
        tmp_path, workers="3", project='"chromium"', grep='"@smoke"', args='["--retries=1"]'
    )
    suite = load_config(project).suite("e2e")
    assert suite.project == ("chromium",) and suite.grep == "@smoke"
    assert (
        command_preview(suite)
        == "npx playwright test --workers=3 --project=chromium --grep=@smoke --retries=1"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("grep", '"x"', 'kind = "playwright" suites only'),
        ("project", '["a"]', 'kind = "playwright" suites only'),
    ],
)
def test_playwright_keys_on_a_pytest_suite_are_refused(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    project = write_project(
        tmp_path / "p", {"pyproject.toml": suites_toml(f'name = "unit"\n{key} = {value}')}
    )
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(project)
    assert f"suites[0] (unit).{key}" in str(info.value)


@pytest.mark.slow
def test_bad_grep_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = e2e_suite(tmp_path, grep='""')
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 2
    assert "grep" in done.stderr and "Traceback" not in done.stderr


def test_the_command_adds_zenboards_reporter_next_to_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    project = e2e_suite(
        tmp_path,
        workers="3",
        project='["chromium", "firefox"]',
        grep='"cart"',
        args='["--retries=1"]',
    )
    package = fake_playwright(project / "frontend")
    suite = load_config(project).suite("e2e")
    report = tmp_path / "reports" / "e2e.json"
    command = build_suite_command(
        suite, report, extra_env={"PATH": fake_node(tmp_path)}, project_root=project
    )
    assert command.unavailable == ""
    assert command.argv[1:] == (
        str(package / "cli.js"),
        "test",
        "--workers=3",
        "--project=chromium",
        "--project=firefox",
        "--grep=cart",
        "--retries=1",
        f"--add-reporter={REPORTER},json",
    )
    assert command.argv[0].endswith("/bin/node")
    assert command.cwd == project / "frontend"
    assert command.env["PLAYWRIGHT_JSON_OUTPUT_FILE"] == str(report)
    assert Path(command.env["ZENBOARD_PLAYWRIGHT_FIXTURES"]).is_file()
    ports = [int(p) for p in command.env[E2E_PORTS_ENV].split(",")]
    assert len(set(ports)) == 3 and all(PORT_RANGE[0] <= p <= PORT_RANGE[1] for p in ports)
    again = build_suite_command(
        suite, report, extra_env={"PATH": fake_node(tmp_path / "x")}, project_root=project
    )
    assert again.env[E2E_PORTS_ENV] == command.env[E2E_PORTS_ENV]  # the claim is kept
    other = write_project(
        tmp_path / "other",
        {"pyproject.toml": suites_toml('name = "e2e"\nkind = "playwright"\nworkers = 3')},
    )
    fake_playwright(other)
    theirs = build_suite_command(
        load_config(other).suite("e2e"),
        report,
        extra_env={"PATH": fake_node(tmp_path / "y")},
        project_root=other,
    )
    assert set(theirs.env[E2E_PORTS_ENV].split(",")).isdisjoint(
        command.env[E2E_PORTS_ENV].split(",")
    )


def test_a_rerun_selects_its_tests_through_a_test_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    project = e2e_suite(tmp_path, workers="1")
    fake_playwright(project / "frontend")
    suite = load_config(project).suite("e2e")
    nodeids = ("cart.spec.js::checkout::pays", "login.spec.js::logs in[firefox]")
    command = build_suite_command(
        suite,
        tmp_path / "e2e.json",
        nodeids,
        scratch=lambda: tmp_path,
        extra_env={"PATH": fake_node(tmp_path)},
        project_root=project,
    )
    listing = [a for a in command.argv if a.startswith("--test-list=")]
    assert listing == [f"--test-list={tmp_path / 'e2e-tests.txt'}"]
    assert (tmp_path / "e2e-tests.txt").read_text().splitlines() == [
        "cart.spec.js \u203a checkout \u203a pays",
        "login.spec.js \u203a logs in[firefox]",
        "[firefox] \u203a login.spec.js \u203a logs in",
    ]
    assert selection_lines("a.spec.js::plain") == ["a.spec.js \u203a plain"]


def test_why_a_suite_cannot_run(tmp_path: Path) -> None:
    frontend = tmp_path / "frontend"
    frontend.mkdir()
    suite = SuiteConfig(name="e2e", kind="playwright", cwd=frontend)
    assert "Node.js is not installed" in unavailable_reason(
        suite, {"PATH": str(tmp_path / "nothing")}
    )
    path = fake_node(tmp_path)
    assert "@playwright/test is not installed in" in unavailable_reason(suite, {"PATH": path})
    fake_playwright(frontend, "1.58.0")
    assert "1.58.0" in unavailable_reason(suite, {"PATH": path})
    assert "needs 1.63+" in unavailable_reason(suite, {"PATH": path})


@pytest.mark.slow
def test_an_unavailable_e2e_suite_is_shown_and_the_other_suites_run(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(
                'name = "unit"\nworkers = 0',
                'name = "e2e"\nkind = "playwright"\ncwd = "frontend"\nworkers = 2',
            ),
            "tests/test_ok.py": PASSING,
            "frontend/tests/.keep": "",
        },
    )
    result = run_in_process(project)
    unit, e2e = result.state.suites["unit"], result.state.suites["e2e"]
    assert unit.status == "passed" and unit.counts["passed"] == 1
    assert e2e.status == "error"
    assert e2e.error.startswith("unavailable: ")
    assert (
        "@playwright/test is not installed" in e2e.error or "Node.js is not installed" in e2e.error
    )
    assert f"[e2e] ERROR {e2e.error}" in result.output
    assert result.code == 1  # a configured suite that could not run is not a pass
    assert result.summary()["suites"][1]["errors"][0]["longrepr"] == e2e.error
