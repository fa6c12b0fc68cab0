"""Per-worker isolation helpers: the suffix, database names, media directories and claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zenboard.isolation import (
    claim,
    claim_port,
    db_name,
    media_dir,
    normalise,
    run_dir,
    shorten,
    suite_part,
    worker_suffix,
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "0"),
        ({"PYTEST_XDIST_WORKER": "gw0"}, "gw0"),
        ({"PYTEST_XDIST_WORKER": "GW12"}, "gw12"),
        ({"CI_NODE_INDEX": "3"}, "3"),
        ({"CI_NODE_INDEX": "1", "PYTEST_XDIST_WORKER": "gw1"}, "1_gw1"),
        ({"CI_NODE_INDEX": "", "PYTEST_XDIST_WORKER": "gw2"}, "gw2"),
        ({"PYTEST_XDIST_WORKER": "gw-3/../x"}, "gw3x"),
        ({"PYTEST_XDIST_WORKER": "gw_é4"}, "gw_4"),
        ({"PYTEST_XDIST_WORKER": "--//--"}, "0"),
        ({"CI_NODE_INDEX": "$;", "PYTEST_XDIST_WORKER": "gw0"}, "gw0"),
    ],
)
def test_worker_suffix(environ: dict[str, str], expected: str) -> None:
    assert worker_suffix(environ) == expected


def test_normalise_keeps_only_ascii_word_characters() -> None:
    assert normalise("Gw 0;DROP-table_ß") == "gw0droptable_"


def test_suffix_without_xdist_keeps_the_ci_machine() -> None:
    assert worker_suffix({"CI_NODE_INDEX": "2", "PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "2"
    assert worker_suffix({"PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "0"

    """CI_NODE_INDEX alone gave every worker on a CI machine the same database; ours does not."""
    """The spec's formula gave every worker on a CI machine the same database; ours does not."""
    workers = [{"CI_NODE_INDEX": "1", "PYTEST_XDIST_WORKER": f"gw{i}"} for i in range(4)]
    names = {db_name("test_demo", env) for env in workers}
    assert len(names) == 4


def test_db_name() -> None:
    assert db_name("test_demo", {"PYTEST_XDIST_WORKER": "gw0"}) == "test_demo_gw0"
    assert db_name("test_demo", {}) == "test_demo_0"


def test_db_name_leaves_the_worker_to_pytest_django() -> None:
    """pytest-django appends `_gw0` itself; adding ours too would give `test_app_gw0_gw0`."""
    assert db_name("test_app", {"PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "test_app"
    on_ci_machine = {"PYTEST_XDIST_WORKER": "gw0", "CI_NODE_INDEX": "1"}
    assert db_name("test_app", on_ci_machine, xdist=False) == "test_app_1"


def test_empty_prefixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prefix"):
        db_name("", {})
    with pytest.raises(ValueError, match="prefix"):
        media_dir(tmp_path, "", {})


def test_media_dir_is_created_per_worker(tmp_path: Path) -> None:
    first = media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw0"})
    second = media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw1"})
    assert first == tmp_path / "media-root" / "media_gw0"
    assert second == tmp_path / "media-root" / "media_gw1"
    assert first.is_dir()
    assert second.is_dir()
    (first / "kept.txt").write_text("x", encoding="utf-8")
    assert media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw0"}) == first
    assert (first / "kept.txt").read_text(encoding="utf-8") == "x"


@pytest.mark.slow
def test_defaults_read_the_process_environment(tmp_path: Path) -> None:
    """Without `environ` the helpers read os.environ, as a settings module would."""
    unset = ("CI_NODE_INDEX", "PYTEST_XDIST_WORKER", "ZENBOARD_SUITE", "ZENBOARD_RUN_DIR")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["PYTEST_XDIST_WORKER"] = "gw7"
    code = (
        "import sys; from zenboard.isolation import db_name, media_dir, worker_suffix;"
        "print(worker_suffix(), db_name('t'), media_dir(sys.argv[1]).name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["gw7", "t_gw7", "media_gw7"]


# The suite (ZENBOARD_SUITE): suites running at once never share a name


def suite_env(suite: str, worker: str = "", ci: str = "", **more: str) -> dict[str, str]:
    env = {"ZENBOARD_SUITE": suite, **more}
    if worker:
        env["PYTEST_XDIST_WORKER"] = worker
    if ci:
        env["CI_NODE_INDEX"] = ci
    return env


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (suite_env("integration", "gw0"), "integration_gw0"),
        (suite_env("integration", "gw0", ci="1"), "1_integration_gw0"),
        (suite_env("unit-fast", "gw3"), "unit_fast_gw3"),
        (suite_env("e2e"), "e2e"),
        (suite_env("--", "gw0"), "gw0"),
        (suite_env("Über.Suite", "gw0"), "ber_suite_gw0"),
    ],
)
def test_the_suffix_holds_the_suite(environ: dict[str, str], expected: str) -> None:
    assert worker_suffix(environ) == expected


def test_suite_part_turns_other_characters_into_one_underscore() -> None:
    assert suite_part({"ZENBOARD_SUITE": "a--b..c"}) == "a_b_c"
    assert suite_part({}) == ""


def test_two_suites_gw0_get_distinct_names() -> None:
    """The issue's collision: integration's gw0 and processing's gw0 both got test_app_gw0."""
    integration = suite_env("integration", "gw0")
    processing = suite_env("processing", "gw0")
    assert db_name("test_app", integration) == "test_app_integration_gw0"
    assert db_name("test_app", processing) == "test_app_processing_gw0"
    assert worker_suffix(integration, suite=False) == worker_suffix(processing, suite=False)


def test_pytest_django_gets_the_suite_and_adds_the_worker_itself() -> None:
    env = suite_env("integration", "gw0")
    assert db_name("test_app", env, xdist=False) == "test_app_integration"
    assert (
        db_name("test_app", {**env, "CI_NODE_INDEX": "2"}, xdist=False) == "test_app_2_integration"
    )


@pytest.mark.parametrize("xdist", [True, False])
def test_long_names_fit_postgres_and_stay_distinct(xdist: bool) -> None:
    """PostgreSQL cuts identifiers at 63 bytes: two long names would silently become one."""
    prefix = "test_" + "é" * 40
    first = db_name(prefix + "a", suite_env("integration", "gw0"), xdist=xdist)
    second = db_name(prefix + "b", suite_env("integration", "gw0"), xdist=xdist)
    limit = 63 if xdist else 63 - 8  # room for pytest-django's _gw<n>
    assert len(first.encode()) <= limit
    assert len(second.encode()) <= limit
    assert first != second
    first.encode().decode()  # never a cut UTF-8 sequence


def test_shorten_keeps_short_names() -> None:
    assert shorten("test_app_gw0", 63) == "test_app_gw0"
    assert len(shorten("x" * 100, 63)) == 63


# Media dirs: per run, and gone after it


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path


def test_media_dir_without_base_lies_in_the_run_dir(tmp_path: Path) -> None:
    run = private_dir(tmp_path / "run")
    env = suite_env("processing", "gw1", ZENBOARD_RUN_DIR=str(run))
    path = media_dir(prefix="app_media", environ=env)
    assert path == run / "media" / "app_media_processing_gw1"
    assert path.is_dir()


def test_media_dirs_of_two_suites_differ_even_with_a_base(tmp_path: Path) -> None:
    first = media_dir(tmp_path, "media", suite_env("integration", "gw0"))
    second = media_dir(tmp_path, "media", suite_env("processing", "gw0"))
    assert first != second


@pytest.mark.slow
def test_without_zenboard_the_media_dir_is_a_mkdtemp_removed_at_exit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENBOARD_")}
    env["TMPDIR"] = str(tmp_path)
    code = (
        "from zenboard.isolation import media_dir;"
        "a = media_dir(); b = media_dir(prefix='other');"
        "assert a.is_dir() and b.parent == a.parent; print(a)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    made = Path(done.stdout.strip())
    assert made.parent.parent == tmp_path
    assert made.name == "media_0"
    assert not made.parent.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_run_dir_others_can_enter_or_a_symlink_is_not_used(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    assert run_dir({"ZENBOARD_RUN_DIR": str(open_dir)}) is None
    private = private_dir(tmp_path / "private")
    (tmp_path / "link").symlink_to(private)
    assert run_dir({"ZENBOARD_RUN_DIR": str(tmp_path / "link")}) is None
    assert run_dir({"ZENBOARD_RUN_DIR": "relative/dir"}) is None
    assert run_dir({"ZENBOARD_RUN_DIR": str(private)}) == private


# Claims: what each worker used, for zenboard's check


def read_claims(run: Path) -> list[dict[str, object]]:
    lines = []
    for path in sorted((run / "claims").glob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text().splitlines()]
    return lines


def test_the_helpers_record_their_claims_in_the_run_dir(tmp_path: Path) -> None:
    run = private_dir(tmp_path / "run")
    env = suite_env("integration", "gw0", ZENBOARD_RUN_DIR=str(run))
    db = db_name("test_app", env)
    media = media_dir(prefix="m", environ=env)
    assert claim_port(8123, env) == 8123
    claim("redis_db", 3, env)
    db_name("test_app", env)  # a settings module read twice claims once
    claims = read_claims(run)
    assert [(c["kind"], c["value"]) for c in claims] == [
        ("db", db),
        ("media", os.path.realpath(media)),
        ("port", "8123"),
        ("redis_db", "3"),
    ]
    for line in claims:
        assert line["suite"] == "integration"
        assert line["worker"] == "gw0"
        assert line["pid"] == os.getpid()
        assert isinstance(line["time"], float)
    assert oct((run / "claims" / f"{os.getpid()}.jsonl").stat().st_mode & 0o777) == "0o600"


def test_a_claim_on_a_server_says_which(tmp_path: Path) -> None:
    """A task's suites use its own containers: their databases are not another task's."""
    run = private_dir(tmp_path / "run")
    env = suite_env("integration", "gw0", ZENBOARD_RUN_DIR=str(run), COMPOSE_PROJECT_NAME="app-t1")
    db_name("test_app", env)
    db_name("test_other", env, server="db.internal:5432")
    media_dir(prefix="m", environ=env)
    claim_port(8000, env)
    scopes = [(c["kind"], c["scope"]) for c in read_claims(run)]
    assert scopes == [
        ("db", "in compose project app-t1"),
        ("db", "on db.internal:5432"),
        ("media", ""),
        ("port", ""),
    ]


def test_the_claim_under_pytest_django_is_the_name_it_uses(tmp_path: Path) -> None:
    run = private_dir(tmp_path / "run")
    env = suite_env("integration", "gw1", ZENBOARD_RUN_DIR=str(run))
    assert db_name("test_dj", env, xdist=False) == "test_dj_integration"
    assert [c["value"] for c in read_claims(run)] == ["test_dj_integration_gw1"]


def test_claims_go_only_into_a_private_run_dir(tmp_path: Path) -> None:
    """A run dir others can enter is not zenboard's: nothing is written there."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    db_name("test_app", suite_env("integration", "gw0", ZENBOARD_RUN_DIR=str(shared)))
    claim_port(9000, {"ZENBOARD_RUN_DIR": str(shared)})
    assert list(shared.iterdir()) == []


def test_bad_claims_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        claim("Not A Kind", "x", {})
    for port in (0, 70000, "80", True):
        with pytest.raises(ValueError, match="port"):
            claim_port(port, {})  # type: ignore[arg-type]
