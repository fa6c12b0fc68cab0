"""`zenboard init`'s pure parts: the plan partitions any tests, workers fit the machine, the
compose file's ports are read as Compose reads them, and the TOML it writes keeps the user's.

The partition is checked with pytest's own `-m` evaluator (`_pytest.mark.expression`, the code
`pytest -m` runs), so the expressions are proven, not just the plan's bookkeeping.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression
from hypothesis import given, settings
from hypothesis import strategies as st

from zenboard.config import load_config
from zenboard.errors import InputError
from zenboard.onboarding.audit import absolute, find
from zenboard.onboarding.init_plan import (
    TESTS_PER_WORKER,
    PartTests,
    plan,
    plan_parts,
    size_workers,
)
from zenboard.onboarding.init_toml import (
    append_table,
    check_merged,
    render,
    strip_zenboard,
    toml_string,
)
from zenboard.onboarding.project_files import missing_ignores, with_ignores
from zenboard.onboarding.project_scan import find_pytest_dirs
from zenboard.tasks.compose.file_services import container_port, read_compose_services

POOL = ("unit", "api", "slow", "db", "summary", "rest", "e2e", "Unit", "parametrize", "x_1")
"""Marker names for the properties, with the awkward ones: a reserved suite name, the rest's
and the Playwright suite's names, a case twin, a marker the project does not register."""


@functools.cache
def _compiled(expression: str) -> Expression:
    return Expression.compile(expression)


def selects(args: tuple[str, ...], markers: tuple[str, ...]) -> bool:
    """Whether `pytest ARGS` selects a test carrying `markers`, by pytest's own evaluator."""
    if not args:
        return True
    assert args[0] == "-m" and len(args) == 2
    return _compiled(args[1]).evaluate(lambda name, **_: name in markers)


tests_strategy = st.dictionaries(
    st.from_regex(r"test_[a-z]{1,6}\.py::t[0-9]{1,3}", fullmatch=True),
    st.lists(st.sampled_from(POOL), unique=True, max_size=4).map(tuple),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    tests=tests_strategy,
    declared=st.lists(st.sampled_from(POOL), unique=True, max_size=8),
    cores=st.integers(1, 64),
)
def test_every_test_is_in_exactly_one_suite(
    tests: dict[str, tuple[str, ...]], declared: list[str], cores: int
) -> None:
    made = plan(tests, declared, cores)
    suites = [s for s in made.suites if s.kind == "pytest"]
    for nodeid, markers in tests.items():
        chosen = [s.name for s in suites if selects(s.args, markers)]
        assert len(chosen) == 1, (nodeid, markers, [(s.name, s.args) for s in suites])
        assert [s.name for s in suites if nodeid in s.tests] == chosen
    # Any other marker set a future test could carry lands in one suite too (or, when a
    # family lost its suite or there is no rest yet, in at most one: audit then lists it).
    for markers in [(), *((m,) for m in POOL), POOL]:
        assert len([s for s in suites if selects(s.args, markers)]) <= 1
    assert all(s.tests for s in suites) or not tests
    names = [s.name.lower() for s in made.suites]
    assert len(names) == len(set(names)) and "summary" not in names
    assert set(made.families) <= set(declared)


def test_the_issues_example_unit_and_api() -> None:
    tests = {"a": ("unit",), "b": ("api",), "both": ("api", "unit"), "c": ()}
    made = plan(tests, ["unit", "api"], cores=2)
    assert [(s.name, s.args, s.tests) for s in made.suites] == [
        ("unit", ("-m", "unit"), ("a", "both")),
        ("api", ("-m", "api and not unit"), ("b",)),
        ("rest", ("-m", "not unit and not api"), ("c",)),
    ]
    assert made.suites[0].claimed == {"api": 1}


def test_families_follow_the_registration_order() -> None:
    made = plan({"both": ("api", "unit")}, ["api", "unit"], cores=2)
    assert [(s.name, s.args) for s in made.suites] == [("api", ("-m", "api"))]
    assert made.not_families == (
        ("unit", "every test it marks carries an earlier family's marker"),
    )


def test_without_project_markers_one_suite_holds_every_test() -> None:
    made = plan({"a": (), "b": ("slow",)}, [], cores=8)
    assert [(s.name, s.args, len(s.tests)) for s in made.suites] == [("tests", (), 2)]
    assert made.not_families == (("slow", "not registered by the project (pytest --markers)"),)


def test_no_rest_suite_when_every_test_has_a_family() -> None:
    made = plan({"a": ("unit",), "b": ("api",)}, ["unit", "api"], cores=2)
    assert [s.name for s in made.suites] == ["unit", "api"]


def test_names_stay_valid_and_unique() -> None:
    tests = {"a": ("summary",), "b": ("rest",), "c": ("Rest",), "d": ("e2e",), "e": ()}
    made = plan(tests, ["summary", "rest", "Rest", "e2e"], cores=2, playwright_dirs=["web"])
    assert [s.name for s in made.suites] == [
        "summary-tests",
        "rest",
        "Rest-2",
        "e2e",
        "rest-3",
        "e2e-2",
    ]
    assert made.suites[-1].kind == "playwright" and made.suites[-1].cwd == "web"
    two = plan({"a": ()}, [], cores=2, playwright_dirs=["apps/web", "."])
    assert [s.name for s in two.suites] == ["tests", "e2e-apps-web", "e2e-root"]


def test_suites_of_a_part_below_the_root_run_there() -> None:
    backend = PartTests({"a": ("unit",), "b": ()}, ["unit"], cwd="backend")
    made = plan_parts([backend], cores=2, playwright_dirs=["frontend"])
    assert [(s.name, s.args, s.cwd) for s in made.suites] == [
        ("unit", ("-m", "unit"), "backend"),
        ("rest", ("-m", "not unit"), "backend"),
        ("e2e", (), "frontend"),
    ]
    assert made.families == ("unit",)


def test_several_parts_name_their_suites_by_directory_and_share_the_cores() -> None:
    backend = PartTests({f"b{i}": ("unit",) for i in range(200)}, ["unit"], cwd="backend")
    worker = PartTests({"w": (), "x": ("api",)}, [], cwd="services/worker")
    made = plan_parts([backend, worker], cores=4)
    assert [(s.name, s.cwd, len(s.tests)) for s in made.suites] == [
        ("backend-unit", "backend", 200),
        ("services-worker", "services/worker", 2),
    ]
    assert sum(max(s.workers, 1) for s in made.suites) <= 4
    assert made.suites[1].workers == 0
    assert [(p.cwd, p.families) for p in made.parts] == [
        ("backend", ("unit",)),
        ("services/worker", ()),
    ]


def test_pytest_dirs_below_a_root_are_the_outermost_with_a_configuration(tmp_path: Path) -> None:
    files = {
        "backend/pytest.ini": "[pytest]\n",
        "backend/app/tox.ini": "[pytest]\n",  # inside backend: backend's part
        "services/api/setup.cfg": "[tool:pytest]\n",
        "services/web/setup.cfg": "[metadata]\nname = web\n",  # no pytest section
        "frontend/node_modules/x/pytest.ini": "[pytest]\n",  # dependencies are not searched
        ".venv/lib/pytest.ini": "[pytest]\n",
        "a/b/c/d/pytest.ini": "[pytest]\n",  # deeper than the scan goes
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert find_pytest_dirs(tmp_path) == ["backend", "services/api"]


# --- workers ----------------------------------------------------------------------------------


def test_the_issues_two_core_machine_gets_no_xdist() -> None:
    """unit-fast took 19.6 s on 8 workers where plain pytest took 5.3 s: 4 suites on 2 cores."""
    assert [w for w, _ in size_workers([200, 80, 50], cores=2, other_processes=1)] == [0, 0, 0]


def test_one_big_suite_takes_the_cores_and_small_suites_none() -> None:
    assert size_workers([600], cores=4) == [(4, "as many as it can use (the 4 cores)")]
    assert [w for w, _ in size_workers([1000, 300, 50], cores=8)] == [5, 2, 0]
    assert size_workers([29], cores=64)[0] == (
        0,
        f"xdist pays off from {2 * TESTS_PER_WORKER} tests ({TESTS_PER_WORKER} per worker)",
    )
    assert size_workers([45], cores=64)[0] == (3, "as many as it can use (one per 15 tests)")


@given(
    counts=st.lists(st.integers(0, 5000), min_size=1, max_size=8),
    cores=st.integers(1, 128),
    others=st.integers(0, 3),
)
def test_workers_never_exceed_the_cores_nor_what_a_suite_can_use(
    counts: list[int], cores: int, others: int
) -> None:
    sized = size_workers(counts, cores, others)
    for count, (workers, why) in zip(counts, sized, strict=True):
        assert workers != 1 and 0 <= workers <= cores and why
        assert workers <= count // TESTS_PER_WORKER
    processes = sum(max(1, w) for w, _ in sized) + others
    assert processes <= max(cores, len(counts) + others)


# --- compose ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "port"),
    [
        ("8000", 8000),
        ("8080:8000", 8000),
        ("127.0.0.1:8080:8000/tcp", 8000),
        ("[::1]:6001:6001", 6001),
        ("5000-5010:6000-6010", 6000),
        (5432, 5432),
        ({"target": 80, "published": 8080}, 80),
        ({"target": "81"}, 81),
        ("${PORT:-80}:${TARGET}", None),
        ("8080:99999", None),
        (True, None),
        (None, None),
    ],
)
def test_container_port_is_the_container_side(entry: object, port: int | None) -> None:
    assert container_port(entry) == port


def test_compose_services_are_read_as_compose_reads_them(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "x-base: &base\n  restart: always\n"
        "services:\n"
        "  db:\n    <<: *base\n    ports:\n      - 2222:22\n"  # YAML 1.1's base 60: 133342
        "  cache:\n    expose: [6379]\n"
        "  web:\n    ports: !override\n      - target: 8000\n        published: 80\n"
        "  worker:\n    image: busybox\n"
        "  Admin:\n    ports: ['9000']\n"
        "  a-b:\n    ports: ['1:2']\n  a_b:\n    ports: ['1:3']\n"
        "  python:\n    ports: ['8000']\n"  # PYTHON_PORT: refused in .env.task, so left out
    )
    (tmp_path / "compose.yaml").write_text("services: {only: {ports: ['1:1']}}\n")
    (tmp_path / "compose.yaml").unlink()
    found = read_compose_services(tmp_path)
    assert found.file == tmp_path / "docker-compose.yml"
    assert found.services == {"db": 22, "cache": 6379, "web": 8000, "a-b": 2}
    assert [name for name, _ in found.left_out] == ["worker", "Admin", "a_b", "python"]
    assert found.left_out[-1][1] == "its variable PYTHON_PORT is a shell's or loader's"


def test_compose_file_preference_and_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {old: {ports: ['1']}}\n")
    (tmp_path / "compose.yaml").write_text("services: {new: {ports: ['2']}}\n")
    assert read_compose_services(tmp_path).services == {"new": 2}
    (tmp_path / "compose.yaml").write_text("services: [unclosed\n")
    broken = read_compose_services(tmp_path)
    assert broken.services == {} and broken.error.startswith("compose.yaml not read: ")
    (tmp_path / "compose.yaml").write_text("!!python/object:os.system {}\n")
    assert read_compose_services(tmp_path).error.startswith("compose.yaml not read: ")


# --- the TOML ---------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30))
def test_toml_strings_read_back_as_written(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_the_rendered_table_loads_as_the_plan_says(tmp_path: Path) -> None:
    (tmp_path / "frontend").mkdir()
    made = plan({"a": ("unit",), "b": ()}, ["unit"], cores=2, playwright_dirs=["frontend"])
    for prefix, name in (("tool.zenboard.", "pyproject.toml"), ("", "zenboard.toml")):
        (tmp_path / name).write_text(render(made, {"db": 5432}, prefix))
        config = load_config(tmp_path)
        assert config.source == tmp_path / name
        assert [(s.name, s.kind, s.args, s.workers) for s in config.suites] == [
            ("unit", "pytest", ("-m", "unit"), 0),
            ("rest", "pytest", ("-m", "not unit"), 0),
            ("e2e", "playwright", (), 1),
        ]
        assert config.suites[-1].cwd == tmp_path / "frontend"
        assert config.table["ports"] == {"services": {"db": 5432}}
        (tmp_path / name).unlink()


PYPROJECT = """\
# top comment
[project]
name = "mine"
dependencies = [
    "x",  # [not a table]
]

[tool.zenboard]
[[tool.zenboard.suites]]
name = "old"
[tool . "zenboard" . ports]
services = {a = 1}

[tool.ruff]  # kept
line-length = 99
"""


def test_force_replaces_only_the_zenboard_tables() -> None:
    made = plan({"a": ()}, [], cores=1)
    rendered = render(made, {}, "tool.zenboard.")
    stripped = strip_zenboard(PYPROJECT)
    assert "old" not in stripped and "[tool.ruff]  # kept" in stripped
    after = append_table(stripped, rendered)
    check_merged("pyproject.toml", PYPROJECT, after, rendered)
    data = tomllib.loads(after)
    assert data["tool"]["ruff"] == {"line-length": 99}
    assert [s["name"] for s in data["tool"]["zenboard"]["suites"]] == ["tests"]


@pytest.mark.parametrize(
    "before",
    [
        "tool = { ruff = { line-length = 99 } }\n",  # an inline `tool` table cannot grow
        '[tool]\nzenboard = { suites = [{ name = "old" }] }\n',  # inline: not cut by headers
    ],
)
def test_a_file_that_cannot_take_the_table_is_refused(before: str) -> None:
    rendered = render(plan({"a": ()}, [], cores=1), {}, "tool.zenboard.")
    with pytest.raises(InputError, match=r"pyproject\.toml: zenboard init cannot"):
        check_merged(
            "pyproject.toml", before, append_table(strip_zenboard(before), rendered), rendered
        )


# --- .gitignore, audit ------------------------------------------------------------------------


def test_gitignore_lines_are_added_once() -> None:
    assert missing_ignores("") == [".zenboard/", ".zenflow/"]
    assert missing_ignores("/.zenboard\nnode_modules/\n") == [".zenflow/"]
    assert missing_ignores(".zenboard/*\n.zenflow/**\n") == []
    assert missing_ignores("# .zenboard/\n!.zenflow/\n") == [".zenboard/", ".zenflow/"]
    assert with_ignores("a", [".zenflow/"]) == "a\n.zenflow/\n"


def test_audit_compares_node_ids_made_absolute(tmp_path: Path) -> None:
    root = str(tmp_path)
    every = [absolute(n, root) for n in ("sub/test_a.py::t[x/y]", "test_b.py::t", "test_c.py::t")]
    sub = [absolute("test_a.py::t[x/y]", str(tmp_path / "sub"))]
    found = find(
        every,
        {"sub": sub, "b": [every[1]], "b2": [every[1]], "none": [], "quiet": [], "bad": "boom"},
        may_be_empty=["quiet"],
    )
    assert found.unassigned == (every[2],)
    assert found.duplicated == {every[1]: ("b", "b2")}
    assert found.empty == ("none",)
    assert found.errors == {"bad": "boom"}
    assert not found.clean
    assert find(every, {"all": every}).clean
