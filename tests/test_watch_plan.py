"""Watch mode's pure parts: settings, ignore rules, the import graph, and rerun plans.

The import graph and the ignore rules work on real files in tmp_path (and real git); nothing
here starts a watcher or pytest (see test_watch.py for those).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import suites_toml, write_project
from zenboard.config import SuiteConfig, load_config
from zenboard.errors import ConfigError
from zenboard.watch.ignore import GitIgnore, WatchFilter
from zenboard.watch.impact import ImportGraph
from zenboard.watch.plan import (
    ENV_RUN_FIRST,
    SuiteImpact,
    SuiteRecord,
    phase_suite,
    plan_reruns,
    plan_suite,
)
from zenboard.watch.settings import load_watch_settings


def _config(tmp_path: Path, watch: str = "") -> Path:
    text = suites_toml('name = "unit"\nargs = ["-m", "unit"]') + watch
    return write_project(tmp_path, {"pyproject.toml": text, "sub/keep.txt": "x"})


def test_settings_defaults_and_values(tmp_path: Path) -> None:
    root = _config(tmp_path)
    settings = load_watch_settings(load_config(root))
    assert settings.paths == (root.resolve(),)
    assert (settings.quiet_ms, settings.run_rest) == (100, True)
    root2 = _config(
        tmp_path / "b",
        '[tool.zenboard.watch]\npaths = ["sub", "."]\nquiet_ms = 250\nrun_rest = false\n',
    )
    settings = load_watch_settings(load_config(root2), quiet_ms=40)
    assert settings.paths == (root2.resolve(),)  # "sub" is inside "." and would report twice
    assert (settings.quiet_ms, settings.run_rest) == (40, False)


@pytest.mark.parametrize(
    ("watch", "key", "words"),
    [
        ('paths = ["missing"]', "tool.zenboard.watch.paths", "does not exist"),
        ('paths = ["sub/keep.txt"]', "tool.zenboard.watch.paths", "is not one"),
        ("quiet_ms = 0", "tool.zenboard.watch.quiet_ms", "milliseconds"),
        ('run_rest = "yes"', "tool.zenboard.watch.run_rest", "true or false"),
        ("debounce = 3", "tool.zenboard.watch.debounce", "a known key"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, watch: str, key: str, words: str) -> None:
    root = _config(tmp_path, f"[tool.zenboard.watch]\n{watch}\n")
    with pytest.raises(ConfigError) as caught:
        load_watch_settings(load_config(root))
    assert caught.value.key == key
    assert words in str(caught.value)
    assert str(root / "pyproject.toml") in str(caught.value)


def test_filter_ignores_what_runs_write_but_not_sources(tmp_path: Path) -> None:
    root = tmp_path / "env" / "project"  # ignored names above the root do not count
    venv = root / "myenv"
    venv.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    reports = root / "out" / "reports"
    watch_filter = WatchFilter([root], root, ignore_paths=[reports], globs=["data/cache/*"])
    kept = ["pkg/mod.py", "tests/test_a.py", "conftest.py", "pyproject.toml", "docs/env.md"]
    dropped = [
        ".zenboard/reports/latest/unit.json",
        ".zenflow/tasks/t/.env.task",
        "test-results/a.png",
        "media_gw1/upload.png",
        "media_0/upload.png",
        "db_gw0.sqlite3",
        "app.sqlite3-journal",
        ".git/index",
        "pkg/__pycache__/mod.cpython-311.pyc",
        "node_modules/x/index.js",
        ".venv/lib/a.py",
        "myenv/lib/site.py",
        "out/reports/summary.json",
        "data/cache/blob",
        ".pytest_cache/v/x",
    ]
    assert [p for p in kept if watch_filter.ignores(str(root / p))] == []
    assert [p for p in dropped if not watch_filter.ignores(str(root / p))] == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_ignore_asks_git_and_is_inert_outside_a_repository(tmp_path: Path) -> None:
    repo = write_project(
        tmp_path / "repo", {".gitignore": "*.log\nbuild/\n", "a.py": "", "b.log": ""}
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=60)
    paths = [str(repo / "a.py"), str(repo / "b.log"), str(repo / "build" / "x.py")]
    assert GitIgnore(repo).ignored(paths) == {str(repo / "b.log"), str(repo / "build" / "x.py")}
    plain = write_project(tmp_path / "plain", {".gitignore": "*.log\n", "b.log": ""})
    assert GitIgnore(plain).ignored([str(plain / "b.log")]) == set()


def _graph(root: Path) -> ImportGraph:
    graph = ImportGraph(root, lambda d: d.name in {".venv", "__pycache__"})
    graph.scan()
    return graph


def test_import_graph_finds_direct_transitive_and_relative_importers(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/prices.py": "RATE = 2\n",
            "src/shop/cart.py": "from .prices import RATE\n",
            "src/shop/api/__init__.py": "from .. import cart\n",
            "src/shop/unrelated.py": "import os\n",
            "tests/helpers.py": "from shop.api import cart\n",
            "tests/test_api.py": "import helpers\n",
            "tests/test_cart.py": "from shop import cart\n",
            "tests/test_other.py": "import shop.unrelated\n",
            ".venv/lib/shop/prices.py": "",
        },
    )
    graph = _graph(root)
    found = graph.importers({root / "src/shop/prices.py"})
    tests = sorted(p.name for p in found if p.name.startswith("test_"))
    assert tests == ["test_api.py", "test_cart.py"]
    assert root / "src/shop/api/__init__.py" in found
    assert graph.importers({root / "src/shop/unrelated.py"}) == {
        root / "src/shop/unrelated.py",
        root / "tests/test_other.py",
    }


def test_import_graph_follows_edits_new_modules_and_deletions(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "",
            "tests/test_x.py": "import pkg.a\nimport pkg.later\n",
        },
    )
    graph = _graph(root)
    later = write_project(root, {"pkg/later.py": "X = 1\n"}) / "pkg/later.py"
    graph.update({later})
    assert root / "tests/test_x.py" in graph.importers({later})  # resolved without reparsing test_x
    (root / "tests/test_x.py").write_text("import pkg.later\n")
    graph.update({root / "tests/test_x.py"})
    assert graph.importers({root / "pkg/a.py"}) == {root / "pkg/a.py"}
    later.unlink()
    graph.update({later})
    assert graph.importers({root / "tests/test_x.py"}) == {root / "tests/test_x.py"}


def _record(root: Path, outcomes: dict[str, str]) -> SuiteRecord:
    return SuiteRecord(str(root), outcomes)


def test_plan_runs_failed_first_then_affected_serially_then_the_rest(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, {"tests/test_a.py": "", "tests/test_b.py": "", "tests/test_z.py": ""}
    )
    record = _record(
        root,
        {
            "tests/test_a.py::test_1": "passed",
            "tests/test_b.py::test_ok": "passed",
            "tests/test_b.py::test_bad": "failed",
            "tests/test_z.py::test_broken": "error",
        },
    )
    impact = SuiteImpact("unit", whole=False, files=(root / "tests/test_b.py",))
    plan = plan_suite(impact, record)
    assert plan is not None
    first, rest = plan.phases
    assert first.nodeids == ("tests/test_z.py::test_broken", str(root / "tests/test_b.py"))
    assert first.first == ("tests/test_b.py::test_bad", "tests/test_z.py::test_broken")
    assert first.serial
    assert rest.nodeids == ("tests/test_a.py::test_1",)
    assert not rest.serial
    only_affected = plan_suite(impact, record, run_rest=False)
    assert only_affected is not None
    assert len(only_affected.phases) == 1


def test_plan_reruns_whole_suites_for_configuration_and_unknown_suites(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"tests/test_a.py": "", "conftest.py": ""})
    record = _record(
        root, {"tests/test_a.py::test_bad": "failed", "tests/test_a.py::test_ok": "passed"}
    )
    whole = plan_suite(SuiteImpact("unit", whole=True), record)
    assert whole is not None
    assert [(p.nodeids, p.serial) for p in whole.phases] == [
        (("tests/test_a.py::test_bad",), True),
        ((), False),
    ]
    never_ran = plan_suite(
        SuiteImpact("unit", whole=False, files=(root / "tests/test_a.py",)), None
    )
    assert never_ran is not None
    assert [p.nodeids for p in never_ran.phases] == [()]
    suites = [SuiteConfig("unit", cwd=root), SuiteConfig("api", cwd=root, paths=("schemas",))]
    plans = plan_reruns(suites, {root / "conftest.py"}, {root / "conftest.py"}, {}, set())
    assert [p.suite for p in plans] == ["unit", "api"]
    plans = plan_reruns(suites, {root / "schemas" / "a.json"}, set(), {}, set())
    assert [p.suite for p in plans] == ["api"]


def test_a_suite_selected_by_marker_maps_through_its_last_run(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"tests/test_unit.py": "", "tests/test_api.py": ""})
    suites = [
        SuiteConfig("unit", args=("-m", "unit"), cwd=root),
        SuiteConfig("api", args=("-m", "api"), cwd=root),
    ]
    changed = {root / "pkg/core.py"}
    importers = {*changed, root / "tests/test_api.py"}
    assert [p.suite for p in plan_reruns(suites, changed, importers, {}, set())] == ["unit", "api"]
    records = {
        "unit": _record(root, {"tests/test_unit.py::test_u": "passed"}),
        "api": _record(root, {"tests/test_api.py::test_a": "passed"}),
    }
    assert [p.suite for p in plan_reruns(suites, changed, importers, records, set())] == ["api"]


def test_phase_suite_runs_serial_phases_without_xdist_and_failed_first(tmp_path: Path) -> None:
    write_project(tmp_path, {"t.py": ""})
    suite = SuiteConfig("unit", args=("-m", "unit"), workers=4, env={"A": "1"})
    record = SuiteRecord(str(tmp_path), {"t.py::x": "failed"})
    impact_plan = plan_suite(SuiteImpact("unit", whole=True), record)
    assert impact_plan is not None
    changed = phase_suite(suite, impact_plan.phases[0])
    assert changed.workers == 0
    assert changed.args == ("-m", "unit", "-p", "zenboard.plugins.run_first")
    assert changed.env == {"A": "1", ENV_RUN_FIRST: "t.py::x"}
    assert phase_suite(suite, impact_plan.phases[1]) == replace(suite, allow_empty=True)


def test_a_module_a_conftest_imports_reruns_the_suites_under_that_conftest(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/db.py": "",
            "app/calc.py": "",
            "backend/conftest.py": "from app import db\n",
            "backend/test_api.py": "",
            "frontend/test_ui.py": "from app import calc\n",
        },
    )
    graph = _graph(root)
    suites = [SuiteConfig("api", cwd=root / "backend"), SuiteConfig("ui", cwd=root / "frontend")]
    changed = {root / "app/db.py"}
    plans = plan_reruns(suites, changed, graph.importers(changed), {}, set())
    assert [(p.suite, [ph.nodeids for ph in p.phases]) for p in plans] == [("api", [()])]


def test_the_trigger_line_names_a_few_files_and_the_suites() -> None:
    from zenboard.watch.session import WatchTrigger

    many = WatchTrigger(("a.py", "b.py", "c.py", "d.py"), ("unit-fast", "integration"), (), 0.0)
    assert many.describe() == (
        "watch: 4 files changed (a.py, b.py, c.py, ...) -> rerun: unit-fast, integration"
    )
    assert WatchTrigger(("README.md",), (), (), 0.0).describe() == (
        "watch: 1 file changed (README.md) -> rerun: nothing"
    )
