"""The configuration loader on hostile or mistyped input: bounds, reserved names and typos.

Every refusal is a ConfigError naming the file and the key (one line, exit 2 through the CLI);
every valid key of today's configurations (the demo's, `zenboard init`'s, the docs') still loads.
The unit tests write real files in tmp_path; the property tests feed `config._parse` (the
function that validates a parsed table) arbitrary TOML-shaped suite tables, and whole
`[tool.zenboard]` tables to every reader of one (config, ports, watch).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli, suites_toml, write_project
from zenboard import config as config_module
from zenboard.config import (
    MAX_SUITE_NAME,
    MAX_WORKERS,
    SUITE_KEYS,
    TABLE_KEYS,
    ProjectConfig,
    load_config,
)
from zenboard.engine.commands import command_preview
from zenboard.errors import ConfigError
from zenboard.onboarding.init_plan import plan
from zenboard.onboarding.init_toml import render
from zenboard.tasks.envfile import is_shell_variable
from zenboard.tasks.ports import port_variable, ports_config
from zenboard.watch.settings import WATCH_KEYS, load_watch_settings

DEMO = Path(config_module.__file__).parent / "demo" / "project"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _pyproject(tmp_path: Path, text: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    return tmp_path


def _suite(tmp_path: Path, body: str) -> Path:
    return _pyproject(tmp_path, suites_toml(body))


def _refused(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    error = caught.value
    assert len(str(error).splitlines()) == 1
    assert str(error).startswith(f"{error.path}: {error.key}: ")
    assert Path(error.path).parent == root.resolve()
    return error


# --- what loads today must still load ------------------------------------------------------------


def test_demo_and_init_configs_still_load(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    config = load_config(demo)
    assert [s.name for s in config.suites] == [
        "unit-fast",
        "integration",
        "processing",
        "isolation",
        "services",
        "e2e",
    ]
    assert config.suite("services").needs == ("web", "db")
    init = write_project(tmp_path / "init", {"frontend/.keep": ""})
    made = plan({"a": ("unit",), "b": ()}, ["unit"], cores=2, playwright_dirs=["frontend"])
    _pyproject(init, render(made, {"db": 5432}, "tool.zenboard."))
    assert [s.name for s in load_config(init).suites] == ["unit", "rest", "e2e"]


def test_every_documented_key_loads_in_both_files(tmp_path: Path) -> None:
    body = """
        [[suites]]
        name = "unit"
        kind = "pytest"
        args = ["-m", "unit"]
        workers = 256
        dist = "loadscope"
        cwd = "."
        env = { A = "1" }
        python = "python3"
        paths = ["src"]

        [[suites]]
        name = "E2E.web_1"
        kind = "playwright"
        workers = 0
        project = "chromium"
        grep = "@smoke"

        [ports]
        services = { web = 80 }

        [watch]
        paths = ["."]
        quiet_ms = 50
        run_rest = false
        ignore = ["build/*"]
    """
    standalone = write_project(tmp_path / "a", {"zenboard.toml": body})
    pyproject_text = body.replace("[[suites]]", "[[tool.zenboard.suites]]")
    pyproject_text = pyproject_text.replace("[ports]", "[tool.zenboard.ports]")
    pyproject_text = pyproject_text.replace("[watch]", "[tool.zenboard.watch]")
    in_pyproject = write_project(
        tmp_path / "b", {"pyproject.toml": "[tool.ruff]\nline-length = 99\n" + pyproject_text}
    )
    for root in (standalone, in_pyproject):
        config = load_config(root)
        assert [s.workers for s in config.suites] == [MAX_WORKERS, 0]
        assert ports_config(config).services == {"web": 80}
        assert load_watch_settings(config).quiet_ms == 50


def test_known_table_keys_match_their_owners() -> None:
    assert TABLE_KEYS["watch"] == set(WATCH_KEYS)
    assert TABLE_KEYS["suites"] == SUITE_KEYS
    assert set(TABLE_KEYS) == {"suites", "ports", "watch", "quarantine", "compose"}


# --- bounds --------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "1", "256", '"auto"'])
def test_workers_within_bounds_load(tmp_path: Path, workers: str) -> None:
    config = load_config(_suite(tmp_path, f'name = "a"\nworkers = {workers}'))
    assert config.suites[0].workers == (workers.strip('"') if '"' in workers else int(workers))


@pytest.mark.parametrize("workers", ["257", "100000", "-1", "9223372036854775807", "true", '"8"'])
def test_workers_beyond_bounds_are_refused(tmp_path: Path, workers: str) -> None:
    error = _refused(_suite(tmp_path, f'name = "a"\nworkers = {workers}'))
    assert error.key == "tool.zenboard.suites[0] (a).workers"
    assert "from 0 to 256" in error.expected
    assert error.path == str(tmp_path.resolve() / "pyproject.toml")


def test_suite_name_of_64_characters_loads_and_65_is_refused(tmp_path: Path) -> None:
    longest = "n" * MAX_SUITE_NAME
    assert load_config(_suite(tmp_path / "ok", f'name = "{longest}"')).suites[0].name == longest
    error = _refused(_suite(tmp_path / "long", f'name = "{longest}x"'))
    assert error.key == "tool.zenboard.suites[0].name"
    assert "at most 64 characters, got 65" in error.expected


@pytest.mark.parametrize("name", ["summary", "Summary", "SUMMARY", ".hidden", ".", "..", ".run-1"])
def test_names_colliding_with_report_files_are_refused(tmp_path: Path, name: str) -> None:
    error = _refused(_suite(tmp_path, f'name = "{name}"'))
    assert error.key == "tool.zenboard.suites[0].name"
    assert repr(name) in error.expected
    assert "summary" in error.expected and "'.'" in error.expected


@pytest.mark.parametrize("name", ["summary-2", "my.summary", "a.", "x_summary"])
def test_names_near_the_reserved_ones_load(tmp_path: Path, name: str) -> None:
    assert load_config(_suite(tmp_path, f'name = "{name}"')).suites[0].name == name


def test_names_repeating_in_another_case_are_refused(tmp_path: Path) -> None:
    root = _pyproject(tmp_path, suites_toml('name = "unit"', 'name = "Unit"'))
    error = _refused(root)
    assert error.key == "tool.zenboard.suites[1].name"
    assert "'Unit' repeats" in error.expected


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('env = { A = "x\\u0000y" }', "env.'A'"),
        ('env = { "A=B" = "x" }', "env.'A=B'"),
        ('env = { "" = "x" }', "env.''"),
        ('args = ["-k", "a\\u0000"]', "args"),
        ('cwd = "a\\u0000b"', "cwd"),
        ('python = "py\\u0000"', "python"),
    ],
)
def test_values_no_process_can_take_are_refused(tmp_path: Path, body: str, key: str) -> None:
    error = _refused(_suite(tmp_path, f'name = "a"\n{body}'))
    assert error.key == f"tool.zenboard.suites[0] (a).{key}"


# --- typos ---------------------------------------------------------------------------------------


def test_suite_key_typo_suggests_the_key(tmp_path: Path) -> None:
    error = _refused(_suite(tmp_path, 'name = "a"\nwokers = 4'))
    assert error.key == "tool.zenboard.suites[0].wokers"
    assert error.expected.startswith("unknown key (did you mean 'workers'?)")


def test_top_level_table_typo_suggests_suites(tmp_path: Path) -> None:
    root = _pyproject(tmp_path, '[tool.zenboard]\n[[tool.zenboard.suite]]\nname = "a"\n')
    error = _refused(root)
    assert error.key == "tool.zenboard.suite"
    assert error.expected.startswith("unknown table (did you mean 'suites'?)")
    assert str(error) == (
        f"{tmp_path.resolve() / 'pyproject.toml'}: tool.zenboard.suite: unknown table "
        "(did you mean 'suites'?); expected a known table (compose, ports, quarantine, suites, watch)"
    )


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ("[tool.zenboard.port]\nservices = { web = 80 }\n", "tool.zenboard.port", "'ports'"),
        ("[tool.zenboard.Watch]\nquiet_ms = 5\n", "tool.zenboard.Watch", "'watch'"),
        ("[tool.zenboard]\nworkers = 4\n", "tool.zenboard.workers", None),
        ("[tool.zenboard.archive]\nkeep = 3\n", "tool.zenboard.archive", None),
    ],
)
def test_unknown_tables_and_keys_under_tool_zenboard(
    tmp_path: Path, text: str, key: str, hint: str | None
) -> None:
    error = _refused(_pyproject(tmp_path, text))
    assert error.key == key
    assert error.expected.startswith("unknown ")
    if hint:
        assert f"(did you mean {hint}?)" in error.expected
    else:
        assert "did you mean" not in error.expected


def test_ports_table_key_typo_suggests_services(tmp_path: Path) -> None:
    error = _refused(_pyproject(tmp_path, "[tool.zenboard.ports]\nservice = { web = 80 }\n"))
    assert error.key == "tool.zenboard.ports.service"
    assert error.expected.startswith("unknown key (did you mean 'services'?)")


@pytest.mark.parametrize(
    ("services", "key", "said"),
    [
        ("ld_preload = 1", "ld_preload", "LD_PRELOAD_PORT is a shell or loader variable"),
        ("bash-env = 1", "bash-env", "BASH_ENV_PORT is a shell or loader variable"),
        ("python = 8000", "python", "PYTHON_PORT is a shell or loader variable"),
        ("a-b = 1, a_b = 2", "a_b", "A_B_PORT is a-b's"),
    ],
)
def test_a_service_needs_a_port_variable_of_its_own(
    tmp_path: Path, services: str, key: str, said: str
) -> None:
    """`<SERVICE>_PORT` goes into `.env.task`, every suite and `eval "$(zenboard ports --env)"`:
    one a shell obeys was refused at the first write as `<render>:6: ...`, naming no file and
    no key; two services sharing one lost a port in silence."""
    root = _pyproject(tmp_path, f"[tool.zenboard.ports]\nservices = {{ {services} }}\n")
    with pytest.raises(ConfigError) as caught:
        ports_config(load_config(root))
    error = caught.value
    assert (error.path, error.key) == (
        str(root / "pyproject.toml"),
        f"tool.zenboard.ports.services.{key}",
    )
    assert said in error.expected


def test_watch_table_key_typo_suggests_the_key(tmp_path: Path) -> None:
    error = _refused(_pyproject(tmp_path, "[tool.zenboard.watch]\nquiet = 5\n"))
    assert error.key == "tool.zenboard.watch.quiet"
    assert "(did you mean 'quiet_ms'?)" in error.expected


def test_zenboard_toml_top_level_and_tables_are_checked(tmp_path: Path) -> None:
    error = _refused(write_project(tmp_path / "a", {"zenboard.toml": '[[suite]]\nname = "a"\n'}))
    assert (error.key, error.path) == ("suite", str(tmp_path.resolve() / "a" / "zenboard.toml"))
    assert "(did you mean 'suites'?)" in error.expected
    error = _refused(write_project(tmp_path / "b", {"zenboard.toml": "[ports]\nsrvices = {}\n"}))
    assert error.key == "ports.srvices"
    assert "(did you mean 'services'?)" in error.expected


def test_unknown_key_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    error = _refused(_pyproject(tmp_path, '[tool.zenboard]\n"\\u001b]0;owned\\u0007" = 1\n'))
    assert "\x1b" not in str(error) and "\x07" not in str(error)
    assert "\\x1b]0;owned\\x07" in error.key


def test_other_tools_tables_are_left_alone(tmp_path: Path) -> None:
    root = _pyproject(tmp_path, '[tool.zenboardx]\nanything = 1\n[tool]\nzen = "board"\n')
    assert load_config(root).source is None


# --- through the real command line ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[tool.zenboard]\n[[tool.zenboard.suite]]\nname = "a"\n', "tool.zenboard.suite"),
        ('[[tool.zenboard.suites]]\nname = "a"\nworkers = 100000\n', "workers"),
        ('[[tool.zenboard.suites]]\nname = "summary"\n', "tool.zenboard.suites[0].name"),
    ],
)
def test_cli_refuses_with_one_line_and_exit_2(tmp_path: Path, toml: str, key: str) -> None:
    project = write_project(tmp_path, {"pyproject.toml": toml, "test_x.py": "def test_x(): pass\n"})
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(project / "pyproject.toml") in lines[0]
    assert key in lines[0]
    assert "Traceback" not in done.stderr
    assert not (project / ".zenboard" / "reports").exists()


# --- property: any suite table loads or is a ConfigError -----------------------------------------

_TOML_SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=80)
    | st.sampled_from(
        ["auto", ".", "sub", "pytest", "playwright", "load", "", "/", "..", "summary"]
    )
    | st.datetimes()
    | st.dates()
    | st.times()
)
_TOML_VALUES = st.recursive(
    _TOML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_SUITE_KEYS = st.sampled_from(sorted(SUITE_KEYS)) | st.text(max_size=12)


def _settings() -> settings:
    common = settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    if not IN_CI:
        return common
    return settings(
        common, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate)
    )


@_settings()
@given(
    suite=st.dictionaries(_SUITE_KEYS, _TOML_VALUES, max_size=8),
    name=st.none() | st.text(max_size=70) | st.from_regex(r"[A-Za-z0-9._-]{1,70}", fullmatch=True),
)
def test_any_suite_table_loads_or_is_a_config_error(
    tmp_path: Path, suite: dict[str, Any], name: str | None
) -> None:
    (tmp_path / "sub").mkdir(exist_ok=True)
    if name is not None:
        suite["name"] = name
    path = tmp_path / "pyproject.toml"
    table = {"suites": [suite]}
    try:
        config = config_module._parse(tmp_path, path, table, "tool.zenboard.")
    except ConfigError as caught:
        error = caught
    else:
        error = None
    if error is not None:
        assert error.path == str(path)
        assert "\n" not in error.key
        return
    assert isinstance(config, ProjectConfig)
    loaded = config.suites[0]
    assert 1 <= len(loaded.name) <= MAX_SUITE_NAME
    assert loaded.name.lower() != "summary" and not loaded.name.startswith(".")
    assert loaded.workers == "auto" or 0 <= loaded.workers <= MAX_WORKERS
    assert all("\0" not in s for s in (*loaded.args, *loaded.paths, *loaded.env.values()))
    assert isinstance(command_preview(loaded), str)


_TABLE_NAMES = st.sampled_from(sorted(TABLE_KEYS)) | st.text(max_size=10)
_PORT = st.integers(min_value=1, max_value=65535)
_SERVICES = st.dictionaries(
    st.sampled_from(["db", "web", "a-b", "a_b", "python", "ld_preload", "bash-env", "Web", ""])
    | st.text(max_size=10),
    st.one_of(_PORT, _PORT, _PORT, _TOML_VALUES),  # mostly ports: the names are the point
    max_size=4,
)
_TABLE_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "ports": st.one_of(
            st.fixed_dictionaries({"services": _SERVICES}),
            st.fixed_dictionaries({"services": _SERVICES}),
            st.dictionaries(st.text(max_size=8), _TOML_VALUES, max_size=2),
            _TOML_VALUES,
        ),
        "watch": st.dictionaries(
            st.sampled_from(sorted(WATCH_KEYS)) | st.text(max_size=8), _TOML_VALUES, max_size=4
        )
        | _TOML_VALUES,
        "quarantine": st.dictionaries(st.text(max_size=30), _TOML_VALUES, max_size=3),
    },
)
_EXTRA = st.one_of(
    st.just({}), st.just({}), st.dictionaries(_TABLE_NAMES, _TOML_VALUES, max_size=2)
)


@_settings()
@given(table=_TABLE_VALUES, extra=_EXTRA)
def test_any_project_table_loads_or_is_a_config_error(
    tmp_path: Path, table: dict[str, Any], extra: dict[str, Any]
) -> None:
    """The whole `[tool.zenboard]` table, as its readers take it (config, ports, watch): each
    either reads it or refuses it with a ConfigError naming the file; nothing else escapes."""
    path = tmp_path / "pyproject.toml"
    table = {**extra, **table}
    try:
        config = config_module._parse(tmp_path, path, table, "tool.zenboard.")
        ports = ports_config(config)
        load_watch_settings(config)
    except ConfigError as caught:
        error: ConfigError | None = caught
    else:
        error = None
    if error is not None:
        assert error.path == str(path)
        assert "\n" not in str(error)
        return
    variables = [port_variable(name) for name in ports.services]
    assert len(set(variables)) == len(variables)
    assert not any(is_shell_variable(v) for v in variables)
    assert all(1 <= port <= 65535 for port in ports.services.values())


def test_toml_datetimes_are_refused_not_crashing(tmp_path: Path) -> None:
    """A date where a string is expected: the shape TOML gives it (a datetime object)."""
    suite = {"name": "a", "cwd": dt.date(2024, 1, 1), "args": [dt.time(1, 2)]}
    with pytest.raises(ConfigError):
        config_module._parse(tmp_path, tmp_path / "zenboard.toml", {"suites": [suite]}, "")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pyproject.toml", "zenboard.toml"])
@pytest.mark.parametrize("command", [["run", "--ci"], ["audit"], ["status"]])
def test_a_configuration_that_is_not_utf8_is_one_line(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    (tmp_path / name).write_bytes(b"[tool.pytest.ini_options]\n# caf\xe9\n")
    done = run_cli(command, tmp_path, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{tmp_path / name}: (file): UTF-8 text" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("cwd", ["../..", "..", "/tmp", "sub/../../x"])
def test_a_suite_cwd_outside_the_project_is_refused(tmp_path: Path, cwd: str) -> None:
    project = write_project(
        tmp_path / "proj",
        {"pyproject.toml": suites_toml(f'name = "unit"\ncwd = "{cwd}"'), "sub/x.txt": ""},
    )
    done = run_cli(["run", "--ci"], project, timeout=60)
    assert done.returncode == 2
    assert f"cwd: a directory inside the project {project}, got {cwd!r}" in done.stderr
    assert not (tmp_path / ".pytest_cache").exists()
