"""zenboard from a wheel, in a new venv: what the wheel holds, and that the installed command runs.

The wheel comes from `python -m build` (sdist first, the wheel from it, as docs/getting-started.md
says) and is installed with its dependencies into a new venv by that venv's pip (install_env.py).
Everything below runs that venv's `zenboard` and `python` outside this checkout, so a module,
the demo project or the dashboard's styles missing from the wheel, or a dependency missing from
its metadata, fails here instead of on a user's machine.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.install_env import (
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

IGNORED_PARTS = {
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
    "test-results",
    ".zenboard",
    ".zenflow",
}
"""What .gitignore keeps out of the checkout's package directories, so out of the wheel."""


def source_files() -> set[str]:
    """The files the wheel must hold, by their path in it: the package as in this checkout
    (modules, py.typed, the demo project with its JavaScript and lock file, the Playwright
    reporter), and the repository's styles/ as zenboard/styles/."""
    wanted: set[str] = set()
    for top, inside in ((REPO / "zenboard", "zenboard"), (REPO / "styles", "zenboard/styles")):
        for path in top.rglob("*"):
            relative = path.relative_to(top)
            ignored = IGNORED_PARTS & set(relative.parts) or path.suffix == ".pyc"
            if path.is_file() and not ignored:
                wanted.add(f"{inside}/{relative.as_posix()}")
    return wanted


OPTIONAL = {"psycopg": "postgres"}
"""Packages zenboard imports only for an optional feature, each with the extra that brings it
(`pip install zenboard[postgres]`: a shared history in PostgreSQL)."""


def third_party_imports() -> set[str]:
    """The top-level names zenboard's modules import anywhere (in functions too), beyond the
    standard library and zenboard itself."""
    names: set[str] = set()
    for path in (REPO / "zenboard").rglob("*.py"):
        if "project" in path.relative_to(REPO / "zenboard").parts[:2]:
            continue  # the demo project: its own code, standard library only
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "zenboard"}


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The session's venv with the wheel installed (again, after the getting-started walk
    installed the clone's directory over it)."""
    skip_under_pytest_8()
    setup = installed(tmp_path_factory)
    again = run(
        [setup.bin("pip"), "install", "--no-deps", "--force-reinstall", setup.wheel],
        cwd=setup.project,
        env=clean_env(setup.venv),
    )
    assert again.returncode == 0, shown(again)
    return setup


def venv_python(setup: Installed, code: str, cwd: Path) -> str:
    done = run(
        [setup.bin("python"), "-c", textwrap.dedent(code)], cwd=cwd, env=clean_env(setup.venv)
    )
    assert done.returncode == 0, shown(done)
    return done.stdout


def test_the_wheel_holds_the_package_its_demo_and_its_styles(wheel_venv: Installed) -> None:
    with zipfile.ZipFile(wheel_venv.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_text = wheel.read(entry_points).decode()
    missing = source_files() - names
    assert not missing, f"not in {wheel_venv.wheel.name}: {sorted(missing)}"
    for needed in (
        "zenboard/py.typed",
        "zenboard/styles/dashboard.tcss",
        "zenboard/demo/project/pyproject.toml",
        "zenboard/demo/project/frontend/package-lock.json",
        "zenboard/plugins/playwright/reporter.cjs",
    ):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "zenboard = zenboard.cli:entry_point" in entry_text  # the command
    assert "zenboard = zenboard.plugins.events" in entry_text  # the pytest11 plugin
    assert wheel_venv.wheel.name == f"zenboard-{__version__}-py3-none-any.whl"


def test_the_wheel_installs_with_its_dependencies_into_a_new_venv(
    wheel_venv: Installed, tmp_path: Path
) -> None:
    assert "Successfully installed" in wheel_venv.wheel_install.stdout
    # Nothing from outside the venv: a dependency missing from the wheel's metadata would show.
    assert "include-system-site-packages = false" in (wheel_venv.venv / "pyvenv.cfg").read_text()
    version = run(
        [wheel_venv.bin("zenboard"), "--version"], cwd=tmp_path, env=clean_env(wheel_venv.venv)
    )
    assert version.returncode == 0, shown(version)
    assert version.stdout.strip() == f"zenboard {__version__}"
    check = run([wheel_venv.bin("pip"), "check"], cwd=tmp_path, env=clean_env(wheel_venv.venv))
    assert check.returncode == 0, shown(check)
    # Every module imports from the venv (not from this checkout): the wheel's declared
    # dependencies are enough for all of zenboard, the dashboard included.
    out = venv_python(
        wheel_venv,
        """
        import importlib, json, pkgutil, zenboard
        names = [m.name for m in pkgutil.walk_packages(zenboard.__path__, "zenboard.")
                 if not m.name.endswith("__main__")]
        files = {name: importlib.import_module(name).__file__ for name in names}
        print(json.dumps(files))
    """,
        cwd=tmp_path,
    )
    files = json.loads(out)
    assert {
        "zenboard.cli",
        "zenboard.ui.app",
        "zenboard.plugins.events",
        "zenboard.commands.init",
    } <= set(files)
    site = str(wheel_venv.venv / "lib")
    outside = {name: f for name, f in files.items() if not str(f).startswith(site)}
    assert not outside, f"imported from outside the venv: {outside}"
    # Some imports wait inside functions (docker, watchfiles, yaml): each package any module
    # of zenboard imports anywhere is in the venv.
    wanted = third_party_imports()
    assert {"pytest", "textual", "docker", "watchfiles", "yaml"} <= wanted
    out = venv_python(
        wheel_venv,
        f"""
        import importlib.util
        print(" ".join(n for n in {sorted(wanted)!r} if importlib.util.find_spec(n) is None))
    """,
        cwd=tmp_path,
    )
    missing = set(out.split())
    assert missing <= set(OPTIONAL), f"imported by zenboard, not installed with the wheel: {out}"
    # An optional package is left out of a plain install, and the wheel names it in its extra.
    requires = venv_python(
        wheel_venv,
        """
        import importlib.metadata, json
        print(json.dumps(importlib.metadata.metadata("zenboard").get_all("Requires-Dist")))
    """,
        cwd=tmp_path,
    )
    for package, extra in OPTIONAL.items():
        assert package in missing, f"{package} is optional, yet a plain install brought it"
        assert any(
            r.startswith(package) and f"extra == '{extra}'" in r.replace('"', "'")
            for r in json.loads(requires)
        ), f"{package} is not in the wheel's extra {extra!r}: {requires}"


def test_the_dashboard_styles_and_the_demo_come_from_the_installed_package(
    wheel_venv: Installed, tmp_path: Path
) -> None:
    out = venv_python(
        wheel_venv,
        """
        import json
        from zenboard.commands.demo import DEMO_SOURCE
        from zenboard.ui.app import ZenboardApp, styles_dir
        print(json.dumps({"styles": str(styles_dir()), "css": [str(p) for p in ZenboardApp.CSS_PATH],
                          "demo": str(DEMO_SOURCE)}))
    """,
        cwd=tmp_path,
    )
    found = json.loads(out)
    site = str(wheel_venv.venv / "lib")
    assert found["styles"].startswith(site)
    assert found["styles"].endswith("/zenboard/styles")
    assert all(Path(css).is_file() and css.startswith(site) for css in found["css"])
    assert found["demo"].startswith(site)
    assert (Path(found["demo"]) / "frontend" / "package-lock.json").is_file()


def test_the_installed_zenboard_runs_a_project_with_the_venvs_interpreter(
    wheel_venv: Installed, tmp_path: Path
) -> None:
    project = tmp_path / "tiny"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.pytest.ini_options]
        markers = ["unit"]

        [[tool.zenboard.suites]]
        name = "unit"
        args = ["-m", "unit"]
        workers = 2

        [[tool.zenboard.suites]]
        name = "rest"
        args = ["-m", "not unit"]
        workers = 0
    """)
    )
    (project / "tests" / "test_tiny.py").write_text(
        textwrap.dedent(f"""
        import pathlib, sys
        import pytest

        @pytest.mark.unit
        @pytest.mark.parametrize("n", range(4))
        def test_unit(n):
            assert n < 4

        def test_interpreter():  # which Python the suite's pytest runs in
            pathlib.Path({str(project / "python.txt")!r}).write_text(sys.prefix)
    """)
    )
    done = run(
        [wheel_venv.bin("zenboard"), "run", "--ci"],
        cwd=project / "tests",
        env=clean_env(wheel_venv.venv),
    )
    assert done.returncode == 0, shown(done)
    summary = json.loads(
        (project / ".zenboard" / "reports" / "latest" / "summary.json").read_text()
    )
    passed = {s["name"]: s["counts"]["passed"] for s in summary["suites"]}
    assert passed == {"unit": 4, "rest": 1}, summary
    assert Path((project / "python.txt").read_text()) == wheel_venv.venv

    (project / "tests" / "test_broken.py").write_text(
        "import pytest\n\n@pytest.mark.unit\ndef test_no():\n    assert False\n"
    )
    failed = run(
        [wheel_venv.bin("zenboard"), "run", "--ci", "unit"],
        cwd=project,
        env=clean_env(wheel_venv.venv),
    )
    assert failed.returncode == 1, shown(failed)
    assert "test_broken.py::test_no" in failed.stdout


def test_the_installed_demo_project_copies_and_runs(wheel_venv: Installed, tmp_path: Path) -> None:
    """`zenboard demo` from the wheel: the copy is the whole demo, and a suite of it runs."""
    copy = tmp_path / "demo"
    out = venv_python(
        wheel_venv,
        f"""
        from pathlib import Path
        from zenboard.commands.demo import copy_demo
        print(copy_demo(Path({str(copy)!r})))
    """,
        cwd=tmp_path,
    )
    assert Path(out.strip()) == copy
    shipped = {
        p.relative_to(REPO / "zenboard" / "demo" / "project").as_posix()
        for p in (REPO / "zenboard" / "demo" / "project").rglob("*")
        if p.is_file() and not IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc"
    }
    copied = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert shipped <= copied, sorted(shipped - copied)
    done = run(
        [wheel_venv.bin("zenboard"), "run", "--ci", "unit-fast"],
        cwd=copy,
        env=clean_env(wheel_venv.venv),
        timeout=600,
    )
    summary = json.loads((copy / ".zenboard" / "reports" / "latest" / "summary.json").read_text())
    (suite,) = summary["suites"]
    # The demo's unit suite has one test that always fails, to show a failure.
    assert (done.returncode, suite["name"], suite["counts"]["failed"]) == (1, "unit-fast", 1), (
        shown(done)
    )
    assert suite["counts"]["passed"] > 50
