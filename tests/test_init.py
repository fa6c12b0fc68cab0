"""`zenboard init` on real projects, then `zenboard run --ci` on what it wrote.

Each project is collected by real pytest subprocesses, as a user's would be. The bigger one is
shared by the module (one `init`, one `run`): it has markers registered in pyproject.toml and in
a conftest, a test with two families' markers, pytest's own and plugins' markers, a failing test,
a Playwright config in `frontend/` and a compose file; `init` runs from its `tests/` folder.
"""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, write_project
from zenboard.config import load_config
from zenboard.onboarding.project_scan import machine_cores
from zenboard.tasks.ports import ports_config

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

PYPROJECT = """\
# The project's own file: init appends, never rewrites.
[project]
name = "shop"
dependencies = ["x>=1"]  # a comment

[tool.pytest.ini_options]
markers = ["unit: fast tests", "api: tests of the HTTP API"]
testpaths = ["tests"]

[tool.ruff]
line-length = 99
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "tests/conftest.py": """
        def pytest_configure(config):
            config.addinivalue_line("markers", "slow: takes a while")
    """,
    "tests/test_unit.py": """
        import pytest

        @pytest.mark.unit
        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_square(x):
            assert x * x >= x

        @pytest.mark.unit
        @pytest.mark.api
        def test_both_markers():
            pass

        @pytest.mark.unit
        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass
    """,
    "tests/test_api.py": """
        import pytest

        pytestmark = pytest.mark.api

        def test_get():
            pass

        @pytest.mark.xfail(reason="known")
        def test_known_bug():
            assert False

        def test_broken():
            assert 1 == 2, "the api is broken"
    """,
    "tests/test_other.py": """
        import pytest

        @pytest.mark.slow
        def test_slow():
            pass

        @pytest.mark.django_db
        def test_db():
            pass

        @pytest.mark.asyncio
        async def test_async():
            pass

        @pytest.mark.filterwarnings("ignore")
        @pytest.mark.usefixtures("tmp_path")
        def test_plain():
            pass
    """,
    "frontend/playwright.config.ts": "export default {};\n",
    "frontend/tests/home.spec.ts": "// not run here: no node_modules\n",
    "compose.yaml": """
        services:
          db:
            image: postgres
            ports: ["127.0.0.1:15432:5432"]
          cache:
            image: redis
            expose: ["6379"]
          web:
            build: .
            ports:
              - target: 8000
                published: 8080
          worker:
            build: .
    """,
}


def cli_env(tmp: Path) -> dict[str, str]:
    """A port registry of the test's own, and no task id from the caller."""
    env = {k: v for k, v in os.environ.items() if k != "ZENFLOW_TASK_ID"}
    return {**env, "XDG_STATE_HOME": str(tmp / "state")}


@dataclass
class Inited:
    root: Path
    init: Any
    table: dict[str, Any]
    run: Any = None

    def suites(self) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self.table["suites"]}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Inited:
    tmp = tmp_path_factory.mktemp("shop")
    root = write_project(tmp / "shop", FILES)
    init = run_cli(["init"], cwd=root / "tests", env=cli_env(tmp))
    assert init.returncode == 0, init.stdout + init.stderr
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["zenboard"]
    done = Inited(root, init, table)
    done.run = run_cli(["run", "--ci", "unit", "api", "slow", "rest"], root, env=cli_env(tmp))
    return done


def test_suites_follow_the_projects_marker_families(shop: Inited) -> None:
    assert [(s["name"], s.get("args")) for s in shop.table["suites"]] == [
        ("unit", ["-m", "unit"]),
        ("api", ["-m", "api and not unit"]),
        ("slow", ["-m", "slow and not unit and not api"]),
        ("rest", ["-m", "not unit and not api and not slow"]),
        ("e2e", None),
    ]
    for plugin_or_pytest in ("parametrize", "skip", "xfail", "django_db", "asyncio", "usefixtures"):
        assert plugin_or_pytest not in shop.suites()


def test_workers_fit_the_machine_and_the_output_says_why(shop: Inited) -> None:
    cores = machine_cores()
    for suite in shop.table["suites"]:
        assert 0 <= suite["workers"] <= cores
    assert all(s["workers"] == 0 for n, s in shop.suites().items() if n != "e2e")  # < 30 tests
    out = shop.init.stdout
    assert f"Workers sized for {cores} cores" in out
    assert "  unit  pytest -m unit: 5 tests (1 also marked api)" in out
    assert "  api   pytest -m 'api and not unit': 3 tests" in out
    assert "  rest  pytest -m 'not unit and not api and not slow': 3 tests" in out
    assert "workers 0: xdist pays off from 30 tests (15 per worker)" in out
    assert "Check: collected each suite: each of the 12 tests is in exactly one suite." in out
    assert f"Wrote [tool.zenboard] to {shop.root / 'pyproject.toml'}" in out


def test_the_existing_pyproject_keeps_its_text_and_parses(shop: Inited) -> None:
    text = (shop.root / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT)
    data = tomllib.loads(text)
    assert data["project"] == {"name": "shop", "dependencies": ["x>=1"]}
    assert data["tool"]["ruff"] == {"line-length": 99}
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


def test_a_playwright_suite_runs_in_the_directory_of_its_config(shop: Inited) -> None:
    e2e = shop.suites()["e2e"]
    assert (e2e["kind"], e2e["cwd"], e2e["workers"]) == ("playwright", "frontend", 1)
    config = load_config(shop.root)
    assert config.suite("e2e").cwd == shop.root / "frontend"
    assert (
        "no @playwright/test there yet (npm install); until then: "
        "zenboard run --ci unit api slow rest"
    ) in shop.init.stdout


def test_the_ports_table_holds_the_compose_services_with_a_port(shop: Inited) -> None:
    config = load_config(shop.root)
    assert ports_config(config).services == {"db": 5432, "cache": 6379, "web": 8000}
    assert "worker left out: no container port" in shop.init.stdout


def test_gitignore_gets_zenboards_directories(shop: Inited) -> None:
    assert (shop.root / ".gitignore").read_text() == ".zenboard/\n.zenflow/\n"
    assert ".gitignore: added .zenboard/ and .zenflow/" in shop.init.stdout


def test_run_ci_runs_every_test_once_and_fails_on_the_failing_one(shop: Inited) -> None:
    assert shop.run.returncode == 1, shop.run.stdout + shop.run.stderr
    summary = json.loads((shop.root / ".zenboard/reports/latest/summary.json").read_text())
    seen = [t["nodeid"] for s in summary["suites"] for t in s["tests"]]
    assert len(seen) == len(set(seen)) == 12
    failed = [
        t["nodeid"] for s in summary["suites"] for t in s["tests"] if t["outcome"] == "failed"
    ]
    assert failed == ["tests/test_api.py::test_broken"]


def test_audit_finds_the_written_suites_clean(shop: Inited) -> None:
    done = run_cli(["audit"], shop.root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not checked (not pytest suites): e2e" in done.stdout


def test_a_second_init_refuses_in_one_line(shop: Inited) -> None:
    before = (shop.root / "pyproject.toml").read_text()
    done = run_cli(["init"], shop.root)
    assert done.returncode == 2
    assert done.stderr == (
        f"zenboard: error: {shop.root / 'pyproject.toml'} configures zenboard already; "
        "`zenboard audit` checks it, `zenboard init --force` replaces it\n"
    )
    assert (shop.root / "pyproject.toml").read_text() == before


def test_a_project_without_markers_gets_one_suite_in_a_zenboard_toml(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "plain",
        {
            "pytest.ini": "[pytest]\n",
            "test_one.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
        },
    )
    listing = sorted(p.name for p in root.iterdir())
    dry = run_cli(["init", "--dry-run"], root)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert sorted(p.name for p in root.iterdir()) == listing  # --dry-run writes nothing
    assert "Dry run, nothing written." in dry.stdout
    assert "[[suites]]\n# 2 tests; workers: xdist pays off" in dry.stdout
    assert ".gitignore would get: .zenboard/ .zenflow/" in dry.stdout
    done = run_cli(["init"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / "pyproject.toml").exists()
    table = tomllib.loads((root / "zenboard.toml").read_text())
    assert table["suites"] == [{"name": "tests", "workers": 0}]
    assert "ports" not in table and "No compose file: no ports table." in done.stdout
    assert "No marker of the project's own is in use: one suite for every test." in done.stdout
    run = run_cli(["run", "--ci"], root)
    assert run.returncode == 0, run.stdout + run.stderr


def test_force_replaces_zenboards_table_and_keeps_the_rest(tmp_path: Path) -> None:
    before = (
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "old"\nargs = ["-m", "gone"]\n\n'
        '[tool.pytest.ini_options]\nmarkers = ["unit"]\n'
    )
    root = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": before,
            ".gitignore": "/.zenboard\n",
            "test_x.py": "import pytest\n\n@pytest.mark.unit\ndef test_u():\n    pass\n",
        },
    )
    for _ in range(2):
        done = run_cli(["init", "--force"], root)
        assert done.returncode == 0, done.stdout + done.stderr
        data = tomllib.loads((root / "pyproject.toml").read_text())
        assert data["tool"]["pytest"] == {"ini_options": {"markers": ["unit"]}}
        assert [s["name"] for s in data["tool"]["zenboard"]["suites"]] == ["unit"]
        assert (root / ".gitignore").read_text() == "/.zenboard\n.zenflow/\n"  # once, kept


def test_tests_that_cannot_be_collected_are_one_line_and_nothing_written(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"test_bad.py": "import no_such_module\n"})
    done = run_cli(["init"], root)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"zenboard: error: cannot read the tests in {root}: ")
    assert "ERROR test_bad.py: ModuleNotFoundError: No module named 'no_such_module'" in done.stderr
    assert done.stderr.rstrip().endswith("nothing written")
    assert (root / "pyproject.toml").read_text() == ""
    assert not (root / ".gitignore").exists()


def test_init_keeps_a_crlf_pyproject_byte_for_byte_and_its_line_endings(tmp_path: Path) -> None:
    before = (
        b'[project]\r\nname = "x"\r\nversion = "0"\r\n\r\n'
        b'[tool.pytest.ini_options]\r\ntestpaths = ["tests"]\r\n'
    )
    (tmp_path / "pyproject.toml").write_bytes(before)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    done = run_cli(["init"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(before)
    assert b"[tool.zenboard]" in after
    assert after.count(b"\n") == after.count(b"\r\n")  # no line of it ends in a bare LF


def test_a_project_whose_warnings_are_errors_is_read_and_audited(tmp_path: Path) -> None:
    # `filterwarnings = error` is common; collecting must import nothing pytest would then warn
    # it cannot rewrite (PytestAssertRewriteWarning, an error here).
    root = write_project(
        tmp_path / "strict",
        {
            "pyproject.toml": """
                [tool.pytest.ini_options]
                markers = ["unit: fast tests"]
                filterwarnings = ["error", "ignore::DeprecationWarning"]
            """,
            "tests/test_a.py": """
                import pytest

                @pytest.mark.unit
                def test_unit():
                    pass

                def test_other():
                    pass
            """,
        },
    )
    done = run_cli(["init"], root / "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Check: collected each suite: each of the 2 tests is in exactly one suite." in (
        done.stdout
    )
    audit = run_cli(["audit"], root)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    run = run_cli(["run", "--ci"], root)
    assert run.returncode == 0, run.stdout + run.stderr


SPEC_LAYOUT = {
    # The spec's project: pytest's configuration in backend/, Playwright's in frontend/, the
    # compose file and a tooling-only pyproject.toml at the top.
    "pyproject.toml": "[tool.ruff]\nline-length = 99\n",
    "docker-compose.yml": """
        services:
          postgres:
            image: postgres
            ports: ["5432:5432"]
    """,
    "frontend/playwright.config.ts": "export default {};\n",
    "backend/pytest.ini": """
        [pytest]
        testpaths = core api
        pythonpath = .
        addopts = --strict-markers
        markers =
            unit: fast tests
            api: tests of the HTTP API
    """,
    "backend/settings.py": "VALUE = 2\n",
    "backend/core/test_core.py": """
        import pytest
        from settings import VALUE

        @pytest.mark.unit
        @pytest.mark.parametrize("i", range(3))
        def test_value(i):
            assert VALUE == 2
    """,
    "backend/api/test_api.py": """
        import pytest

        @pytest.mark.api
        def test_get():
            pass

        def test_broken():
            assert 1 == 2
    """,
}


def test_the_specs_layout_gets_suites_that_run_in_backend(tmp_path: Path) -> None:
    root = write_project(tmp_path / "app", SPEC_LAYOUT)
    init = run_cli(["init"], root, env=cli_env(tmp_path))
    assert init.returncode == 0, init.stdout + init.stderr
    assert "pytest's is in backend/: the tests are collected there" in init.stdout
    assert "  unit  pytest -m unit in backend/: 3 tests" in init.stdout
    table = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["zenboard"]
    assert [(s["name"], s.get("args"), s["cwd"]) for s in table["suites"]] == [
        ("unit", ["-m", "unit"], "backend"),
        ("api", ["-m", "api and not unit"], "backend"),
        ("rest", ["-m", "not unit and not api"], "backend"),
        ("e2e", None, "frontend"),
    ]
    assert table["ports"] == {"services": {"postgres": 5432}}
    run = run_cli(["run", "--ci", "unit", "api", "rest"], root / "frontend", env=cli_env(tmp_path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "[rest] FAILED api/test_api.py::test_broken" in run.stdout
    assert (root / ".zenboard" / "reports" / "latest" / "summary.json").is_file()
    assert not (root / "frontend" / ".zenboard").exists()
    assert not (root / "backend" / ".zenboard").exists()
    audit = run_cli(["audit"], root / "backend" / "core", env=cli_env(tmp_path))
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.startswith(f"5 tests in {root / 'backend'} (plain pytest)")


def test_a_root_with_tests_of_its_own_is_one_part_despite_a_nested_configuration(
    tmp_path: Path,
) -> None:
    # An example plugin's pytest.ini below a project must not take the project's tests away.
    root = write_project(
        tmp_path / "lib",
        {
            "pyproject.toml": "[project]\nname = 'lib'\nversion = '0'\n",
            "tests/test_lib.py": "def test_lib():\n    pass\n",
            "examples/plugin/pytest.ini": "[pytest]\n",
            "examples/plugin/test_example.py": "def test_example():\n    pass\n",
        },
    )
    done = run_cli(["init", "--dry-run"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"Collected 2 tests in {root} with ")
    assert "pytest's is in" not in done.stdout


def test_a_playwright_project_inits_and_runs_every_suite_whole(tmp_path: Path) -> None:
    # init on a project with a real Playwright config (its packages installed), then a plain
    # `run --ci` of every suite: the e2e suite runs where its config is, and the exit code
    # follows the outcomes (a failing spec: 1; once it passes: 0).
    from tests.playwright_env import link_modules, node_modules, playwright_config

    modules = node_modules()
    spec = """
        const { test, expect } = require('@playwright/test');
        test('adds', async () => { expect(1 + 1).toBe(%s); });
    """
    root = write_project(
        tmp_path / "web",
        {
            "pytest.ini": "[pytest]\ntestpaths = tests\n",
            "tests/test_api.py": "def test_api():\n    pass\n",
            "site/playwright.config.js": playwright_config(workers=1),
            "site/tests/add.spec.js": spec % "3",
        },
    )
    link_modules(root / "site", modules)
    init = run_cli(["init"], root / "tests", env=cli_env(tmp_path))
    assert init.returncode == 0, init.stdout + init.stderr
    assert "no @playwright/test there yet" not in init.stdout
    table = tomllib.loads((root / "zenboard.toml").read_text())
    assert [(s["name"], s.get("kind"), s.get("cwd")) for s in table["suites"]] == [
        ("tests", None, None),
        ("e2e", "playwright", "site"),
    ]
    failing = run_cli(["run", "--ci"], root / "site", env=cli_env(tmp_path))
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "[e2e] FAILED" in failing.stdout
    (root / "site" / "tests" / "add.spec.js").write_text(textwrap.dedent(spec % "2"))
    passing = run_cli(["run", "--ci"], root, env=cli_env(tmp_path))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    summary = json.loads((root / ".zenboard/reports/latest/summary.json").read_text())
    assert {s["name"]: s["status"] for s in summary["suites"]} == {
        "tests": "passed",
        "e2e": "passed",
    }
