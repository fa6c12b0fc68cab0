"""docs/getting-started.md, followed on a new project: its commands, as written, in its order.

The session's venv (install_env.py) is the page's `python3 -m venv .venv` in `your-project`, and
its wheel came from the page's `python -m build`. From there the walk runs the page's lines in a
shell, each after `source .venv/bin/activate` as the page says, `/path/to/zenboard` standing for
this checkout: install from the clone, `zenboard --version`, `init`, `run --ci`, `audit`, and
`run --ci` again from the project's `tests/` folder. Every line the walk runs must be on the page
(in a bash block, comments aside), so the page cannot drift from what is tested.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.install_env import (
    GETTING_STARTED,
    REPO,
    Installed,
    clean_env,
    installed,
    run,
    shown,
    skip_under_pytest_8,
)
from zenboard import __version__

pytestmark = pytest.mark.slow

PROJECT_FILES = {
    "pyproject.toml": """
        [project]
        name = "shop"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        markers = [
            "unit: fast tests of pure logic",
            "api: tests through the shop's API",
        ]
    """,
    "shop/__init__.py": """
        def total(prices):
            return sum(prices)
    """,
    "tests/test_total.py": """
        import pytest

        from shop import total


        @pytest.mark.unit
        @pytest.mark.parametrize("n", range(6))
        def test_total_of_n_ones(n):
            assert total([1] * n) == n


        @pytest.mark.api
        def test_total_through_the_api():
            assert total([2, 3]) == 5


        def test_total_of_nothing():
            assert total([]) == 0
    """,
}
TESTS = 8

WALK: list[tuple[str, str]] = [
    ("", ".venv/bin/pip install /path/to/zenboard"),
    ("", "zenboard --version"),
    ("", "zenboard init"),
    ("", "zenboard run --ci"),
    ("", "zenboard audit"),
    ("tests", "zenboard run --ci"),
]
"""(folder of the project, the page's line) in the page's order."""

ON_THE_PAGE = [
    "cd your-project",
    "python3 -m venv .venv",  # install_env.py, with this interpreter
    "source .venv/bin/activate",  # before every line of WALK
    "cd /path/to/zenboard",
    ".venv/bin/python -m build",  # install_env.py, in this checkout's venv
    "cd tests",
    *(line for _, line in WALK),
]
"""Every command the walk runs or stands in for."""


@dataclass
class Walk:
    project: Path
    steps: list[subprocess.CompletedProcess[str]]

    def step(self, line: str, folder: str = "") -> subprocess.CompletedProcess[str]:
        return self.steps[WALK.index((folder, line))]

    def summary(self) -> dict[str, Any]:
        path = self.project / ".zenboard" / "reports" / "latest" / "summary.json"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def page_commands() -> list[str]:
    """The lines of the page's bash blocks, comments and blanks left out."""
    blocks = re.findall(r"^```bash\n(.*?)^```", GETTING_STARTED.read_text(), re.M | re.S)
    lines = (line.split(" #", 1)[0].strip() for block in blocks for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    skip_under_pytest_8()
    setup: Installed = installed(tmp_path_factory)
    project = setup.project
    for name, text in PROJECT_FILES.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    steps = []
    for folder, line in WALK:
        script = "set -e\nsource .venv/bin/activate\n"
        script += f"cd {folder}\n" if folder else ""
        script += line.replace("/path/to/zenboard", str(REPO)) + "\n"
        steps.append(run(["bash", "-c", script], cwd=project, env=clean_env(), timeout=900))
    return Walk(project, steps)


def test_every_command_the_walk_runs_is_on_the_page() -> None:
    written = page_commands()
    missing = [line for line in ON_THE_PAGE if line not in written]
    assert not missing, f"not in {GETTING_STARTED.name}'s bash blocks: {missing}"
    assert [line for line in written if line in ON_THE_PAGE][:3] == [
        "cd your-project",
        "python3 -m venv .venv",
        ".venv/bin/pip install /path/to/zenboard",
    ]


def test_the_page_and_the_readme_name_nothing_that_cannot_be_installed() -> None:
    """zenboard is on no package index: `pip install zenboard` cannot work, and the README's
    old `pip install -e .` in a project installed the project, not zenboard."""
    page, readme = GETTING_STARTED.read_text(), (REPO / "README.md").read_text()
    for text in (page, readme):
        assert not re.search(r"pip install (-U |--upgrade )?zenboard\b(?![-.])", text)
        assert not re.search(r"pip install (-e )?\.(?!\[)", text)
        assert ".venv/bin/pip install /path/to/zenboard" in text
    wheel = re.search(r"pip install (zenboard-[^ `]+\.whl)", page)
    assert wheel is not None
    assert wheel.group(1) == f"zenboard-{__version__}-py3-none-any.whl"


def test_pip_installs_a_copy_of_the_clone_into_the_venv(walk: Walk) -> None:
    done = walk.step(".venv/bin/pip install /path/to/zenboard")
    assert done.returncode == 0, shown(done)
    site = next((walk.project / ".venv" / "lib").glob("python3*/site-packages"))
    (info,) = site.glob("zenboard-*.dist-info")
    origin = json.loads((info / "direct_url.json").read_text())
    assert origin["url"] == REPO.as_uri()
    assert not origin.get("dir_info", {}).get("editable", False)  # a copy, not a link back
    assert (site / "zenboard" / "cli.py").is_file()
    assert (site / "zenboard" / "styles" / "dashboard.tcss").is_file()
    version = walk.step("zenboard --version")
    assert (version.returncode, version.stdout.strip()) == (0, f"zenboard {__version__}")


def test_init_writes_suites_that_hold_every_test_once(walk: Walk) -> None:
    done = walk.step("zenboard init")
    assert done.returncode == 0, shown(done)
    config = tomllib.loads((walk.project / "pyproject.toml").read_text())
    suites = config["tool"]["zenboard"]["suites"]
    assert {s["name"] for s in suites} == {"unit", "api", "rest"}
    assert config["project"]["name"] == "shop"  # the file's own tables kept
    assert ".zenboard/" in (walk.project / ".gitignore").read_text().splitlines()


def test_run_ci_runs_every_test_and_reports_in_the_project(walk: Walk) -> None:
    done = walk.step("zenboard run --ci")
    assert done.returncode == 0, shown(done)
    summary = walk.summary()
    assert summary["exit_code"] == 0
    suites = summary["suites"]
    assert sum(s["counts"]["passed"] for s in suites) == TESTS
    assert {s["name"] for s in suites} == {"unit", "api", "rest"}


def test_audit_finds_the_suites_clean(walk: Walk) -> None:
    done = walk.step("zenboard audit")
    assert done.returncode == 0, shown(done)
    assert f"{TESTS} tests in {walk.project}" in done.stdout


def test_from_a_subdirectory_the_same_project_runs(walk: Walk) -> None:
    done = walk.step("zenboard run --ci", folder="tests")
    assert done.returncode == 0, shown(done)
    assert f"reports: {walk.project / '.zenboard' / 'reports' / 'latest'}" in done.stdout
    assert not (walk.project / "tests" / ".zenboard").exists()
    assert sum(s["counts"]["passed"] for s in walk.summary()["suites"]) == TESTS
