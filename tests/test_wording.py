"""Honest wording and no litter (issue 16, parts 8 and 9).

What zenboard prints must be true and read as English: counts take the right plural, `compare`
says whether the parallel run took less time or longer and names tests that fail both ways
(and exits 1 on them), every command's `--help` says what it writes or claims, and the headless
table keeps failures and errors apart. `zenboard demo` keeps one copy per user, leaves nothing
in the temp dir and gives back the ports its e2e suite claimed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.cli import main
from zenboard.commands import COMMANDS
from zenboard.headless.compare import Comparison
from zenboard.words import plural

ONE_SUITE = suites_toml('name = "unit"\nworkers = 0')
PASSING = "def test_{}():\n    pass\n"


def project_with_tests(root: Path, count: int) -> Path:
    tests = "\n\n".join(PASSING.format(f"t{i}") for i in range(count))
    return write_project(root, {"pyproject.toml": ONE_SUITE, "tests/test_some.py": tests})


def test_plural_takes_the_form_the_count_needs() -> None:
    assert [plural(n, "test") for n in (0, 1, 2)] == ["0 tests", "1 test", "2 tests"]
    assert plural(1, "copy", "copies") == "1 copy" and plural(3, "copy", "copies") == "3 copies"


@pytest.mark.slow
@pytest.mark.parametrize(("count", "tests"), [(1, "1 test"), (2, "2 tests")])
def test_run_history_and_audit_count_in_english(tmp_path: Path, count: int, tests: str) -> None:
    project = project_with_tests(tmp_path, count)
    shard = run_cli(["run", "--ci", "--shard", "1/1"], project)
    assert shard.returncode == 0, shard.stdout + shard.stderr
    assert f"[unit] shard 1/1: {count} of {tests}\n" in shard.stdout
    history = run_cli(["history"], project)
    assert history.returncode == 0, history.stderr
    (row,) = [line for line in history.stdout.splitlines() if line.strip().startswith("#")]
    assert f" {tests} 0 failed " in row
    audit = run_cli(["audit"], project)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.startswith(f"{tests} in ")
    assert "1 tests" not in shard.stdout + history.stdout + audit.stdout


def test_history_without_runs_says_so_under_every_heading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = project_with_tests(tmp_path, 1)
    assert main(["history", "--project", str(project)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"recent runs of {project.name}",
        "  (none yet: every zenboard run is recorded in .zenboard/history.db)",
        "slowest tests (mean over recent runs)",
        "  (none)",
        "flakiest tests (outcome flips, oldest run first)",
        "  (none)",
    ]
    assert not (project / ".zenboard").exists()  # it writes nothing, as its --help says


@pytest.mark.parametrize(
    ("sequential", "parallel", "said"),
    [
        (10.0, 7.3, "parallel took 27 % less time"),
        (10.0, 12.7, "parallel took 27 % longer"),
        (10.0, 10.01, "parallel took as long"),
    ],
)
def test_compare_says_less_time_or_longer_and_names_what_fails_both_ways(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sequential: float,
    parallel: float,
    said: str,
) -> None:
    """The text a comparison becomes, for a parallel run that took less time and one that took
    longer, with one test failing both ways: it is named, and the exit code is 1."""
    project = project_with_tests(tmp_path, 1)
    failing = [("unit", "tests/test_some.py::test_t0", "failed")]
    found = Comparison(sequential, parallel, 1, [], failing)
    monkeypatch.setattr("zenboard.headless.compare.compare", lambda *args: found)
    from zenboard.commands import compare

    args = argparse.Namespace(project=project, suites=[], reruns=2, json=False)
    assert compare.run(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"sequential {sequential:.1f}s, parallel {parallel:.1f}s: {said} (1 test)"
    assert "reduction" not in out[0] and "-" not in out[0]
    assert out[1:] == [
        "outcomes: identical",
        "failing: 1 test fails both sequentially and in parallel",
        "  failed          [unit] tests/test_some.py::test_t0",
    ]


@pytest.mark.slow
def test_compare_exits_1_on_a_test_that_fails_both_ways(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": ONE_SUITE,
            "tests/test_some.py": PASSING.format("fine") + "\n\ndef test_broken():\n    assert 0\n",
        },
    )
    done = run_cli(["compare", "--reruns", "1"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"sequential [\d.]+s, parallel [\d.]+s: parallel took "
        r"(\d+ % (less time|longer)|as long) \(2 tests\)",
        lines[0],
    ), lines[0]
    assert lines[1:] == [
        "outcomes: identical",
        "failing: 1 test fails both sequentially and in parallel",
        "  failed          [unit] tests/test_some.py::test_broken",
    ]
    data = json.loads(run_cli(["compare", "--reruns", "1", "--json"], project).stdout)
    assert data["identical"] is True
    assert data["failing"] == [
        {"suite": "unit", "nodeid": "tests/test_some.py::test_broken", "outcome": "failed"}
    ]


PLAYWRIGHT_CLAIMS = "Playwright suite claims a port per worker"
"""Any command that runs a Playwright suite claims its workers' ports (engine/commands)."""
HELP_SAYS = {
    "run": [
        ".zenboard/reports/latest/",
        ".zenboard/history.db",
        "claims the task's ports",
        ".env.task",
        PLAYWRIGHT_CLAIMS,
        "With --up",
        "docker compose up -d",
    ],
    "launch": [
        ".zenboard/reports/latest/",
        ".zenboard/history.db",
        "claims the task's ports",
        PLAYWRIGHT_CLAIMS,
        "With --up",
        "keep running after",
    ],
    "watch": [
        ".zenboard/reports/latest/",
        ".zenboard/history.db",
        "claims the task's ports",
        PLAYWRIGHT_CLAIMS,
    ],
    "verify": [
        ".zenboard/reports/verify/run<k>/",
        "proof_run<k>.txt",
        ".zenboard/history.db",
        PLAYWRIGHT_CLAIMS,
    ],
    "compare": [".zenboard/reports/compare/", ".zenboard/history.db", PLAYWRIGHT_CLAIMS],
    "merge": ["into OUT", "writes nothing else", "example: zenboard merge"],
    "durations": ["writes .zenboard/durations.json", "without, it writes nothing"],
    "history": ["writes nothing"],
    "audit": ["writes nothing"],
    "init": ["pyproject.toml", "zenboard.toml", ".gitignore", "without tests gets nothing written"],
    "ports": ["Claims the task's ports in the port registry", ".env.task", "--release"],
    "status": ["claims the task's ports", ".env.task", "claims nothing and writes nothing"],
    "tasks": ["Writes nothing and claims nothing", "summary.json", "Stale claims"],
    "compose-template": ["docker-compose.zenflow.yml", "claims the task's ports", ".env.task"],
    "up": ["Claims the task's ports", ".env.task", "docker-compose.zenflow.yml", "zenboard down"],
    "down": [".env.task", "removes the task's containers", "volumes with --volumes"],
    "demo": ["~/.cache/zenboard/demo", "reused", "given back when the demo quits"],
}


def test_every_command_is_in_the_help_table() -> None:
    assert set(HELP_SAYS) == {name.replace("_", "-") for name in COMMANDS}


@pytest.mark.parametrize("command", sorted(HELP_SAYS))
def test_help_says_what_the_command_writes_or_claims(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere
    missing = [words for words in HELP_SAYS[command] if words not in text]
    assert not missing, text
    assert ("--project" in text) == (command != "demo")  # the demo makes its own project


REPO = Path(__file__).resolve().parent.parent
CITATION = re.compile(
    r"DESIGN\.md|STYLE\.md|parallel-ci-spec|\bthe spec\b|\bspec's section|\bsection \d+\.\d+|§"
    r"|\bissues? ?-?\d+\b",
    re.IGNORECASE,
)
"""What users have not got: the team's design notes, the spec and its numbered sections, and
the team's issue tracker (`issue 15`, `issue-22`)."""


def shipped_text() -> list[Path]:
    """README, docs and every text file of the package (code, plugins, the demo, styles)."""
    package = [
        path
        for path in (REPO / "zenboard").rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".cjs", ".js", ".md", ".toml", ".tcss"}
        and "node_modules" not in path.parts  # npm's, should someone have installed there
    ]
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *package]


def test_no_doc_or_docstring_cites_what_users_do_not_have() -> None:
    files = shipped_text()
    assert REPO / "zenboard" / "plugins" / "playwright" / "fixtures.cjs" in files
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CITATION.search(line)
    ]
    assert found == []


@pytest.mark.slow
def test_merge_without_arguments_shows_a_command_line_that_works(tmp_path: Path) -> None:
    done = run_cli(["merge"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "zenboard merge: error: the following arguments are required: DIR, --report-dir "
        "(e.g. zenboard merge reports-1/ reports-2/ --report-dir merged/)"
    ]


@pytest.mark.slow
def test_init_without_tests_writes_nothing_and_says_why(tmp_path: Path) -> None:
    done = run_cli(["init"], tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no tests in" in done.stderr and "nothing written" in done.stderr
    assert "Next: zenboard run" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_final_table_keeps_failed_and_errored_apart(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": ONE_SUITE,
            "tests/test_some.py": """
                import pytest

                @pytest.fixture
                def broken():
                    raise RuntimeError("setup fails")

                def test_fails():
                    assert 0

                def test_errors(broken):
                    pass
            """,
        },
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[unit] failed 2/2")]
    assert progress and "failed=1 error=1 no xdist" in progress[-1]
    header = next(line for line in lines if line.startswith("suite "))
    row = next(line for line in lines if line.startswith("unit "))
    cells = dict(zip(header.split(), row.split(), strict=True))
    assert (cells["fail"], cells["error"], cells["pass"]) == ("1", "1", "0")


@pytest.mark.slow
def test_a_finished_empty_suite_awaits_no_results(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "unit"\nworkers = 0\nallow_empty = true')},
    )
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    last = [line for line in done.stdout.splitlines() if line.startswith("[unit] ")][-1]
    assert re.fullmatch(r"\[unit\] no tests 0/0 no results no xdist [\d.]+s", last), last


def test_the_users_demo_copy_is_reused_and_replaced_when_the_demo_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenboard.commands import demo

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    first = demo.copy_demo(None)
    assert first == tmp_path / "cache" / "zenboard" / "demo"
    (first / ".zenboard").mkdir()
    (first / ".zenboard" / "history.db").write_text("runs so far")
    assert demo.copy_demo(None) == first
    assert (first / ".zenboard" / "history.db").read_text() == "runs so far"  # reused, not remade
    monkeypatch.setattr(demo, "source_fingerprint", lambda: "a-newer-demo")
    assert demo.copy_demo(None) == first
    assert not (first / ".zenboard").exists()  # a copy of the new demo, whole
    assert "source a-newer-demo" in (first / ".zenboard-demo").read_text()
    assert [p.name for p in first.parent.iterdir()] == ["demo"]  # nothing left beside it
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_users_demo_copy_never_replaces_what_zenboard_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenboard.commands import demo
    from zenboard.errors import InputError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mine = tmp_path / "zenboard" / "demo"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a copy zenboard made"):
        demo.copy_demo(None)
    assert (mine / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_demo_leaves_no_copy_in_the_temp_dir_and_no_port_claim(tmp_path: Path) -> None:
    """The whole headless demo, e2e suite included, with the user's directories made private:
    the one copy is in the cache dir, the temp dir holds nothing of the demo's (the browser's,
    pytest's and Playwright's own dirs aside: pytest keeps three, Playwright reuses its cache,
    Chromium may leave empty profile dirs), and the registry that the e2e suite's claim created
    holds no claim once the demo is done."""
    from tests.playwright_env import node_modules

    node_modules()  # skips without Node; warms npm's cache for the copy's `npm ci`
    cache, state, tmp = (tmp_path / name for name in ("cache", "state", "tmp"))
    tmp.mkdir()
    env = {"XDG_CACHE_HOME": str(cache), "XDG_STATE_HOME": str(state), "TMPDIR": str(tmp)}
    done = run_cli(["demo", "--headless"], tmp_path, timeout=600, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # the demo's tests that fail on purpose
    copy = cache / "zenboard" / "demo"
    assert output.startswith(f"demo project: {copy}\n")
    summary = json.loads((copy / ".zenboard/reports/latest/summary.json").read_text())
    e2e = next(s for s in summary["suites"] if s["name"] == "e2e")
    assert len(e2e["tests"]) == 6, output  # the suite ran, so its ports were claimed
    registry = json.loads((state / "zenboard" / "ports.json").read_text())
    assert registry["tasks"] == {}
    leftovers = [
        p.name
        for p in tmp.iterdir()
        if not p.name.startswith(("pytest-of-", "playwright", "org.chromium."))
    ]
    assert leftovers == []
    assert list(tmp.rglob(".zenboard-demo")) == []
