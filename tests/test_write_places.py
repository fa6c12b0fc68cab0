"""Where zenboard writes (issue 14, part 4): never through a symlink it did not make below the
project, the report dir or a state dir, and never into a state dir another user can change."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard import safefs
from zenboard.isolation import media_dir

pytestmark = [
    pytest.mark.slow,  # starts processes: not in the fast tier
    pytest.mark.usefixtures("isolated_state"),
]

PASSING = {
    "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
    "test_ok.py": "def test_ok():\n    pass\n",
}
LATEST = Path(".zenboard/reports/latest")


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the project that a planted symlink points at."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["run", "--ci", "--project", str(project), *args], project)


def _report_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("reports: could not")]


def _refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one line of an exit-2 refusal, checked to be just that."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def test_a_summary_json_symlink_in_the_report_dir_is_never_written_through(
    tmp_path: Path, victim: Path
) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    (project / LATEST).mkdir(parents=True)
    (project / LATEST / "summary.json").symlink_to(victim)
    done = _run(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert _report_lines(done.stdout) == [
        f"reports: could not be written: {project / LATEST / 'summary.json'}: "
        "is a symlink; zenboard does not write through it"
    ]
    assert victim.read_text() == "precious\n"
    assert (project / LATEST / "summary.json").is_symlink()
    assert any(line.startswith("unit ") for line in done.stdout.splitlines())  # outcomes shown


def test_a_summary_json_nested_too_deep_is_replaced_not_a_traceback(tmp_path: Path) -> None:
    """Publishing reads the old summary.json for the suite files it names; one nested 100,000
    deep (planted, or another job's) was a RecursionError that ended the run."""
    project = write_project(tmp_path / "proj", PASSING)
    (project / LATEST).mkdir(parents=True)
    (project / LATEST / "summary.json").write_text("[" * 100_000 + "]" * 100_000)
    done = _run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (
        json.loads((project / LATEST / "summary.json").read_text())["suites"][0]["name"] == "unit"
    )


def test_a_suite_file_symlink_is_never_written_through_and_no_summary_claims_it(
    tmp_path: Path, victim: Path
) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    (project / LATEST).mkdir(parents=True)
    (project / LATEST / "unit.json").symlink_to(victim)
    done = _run(project)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = _report_lines(done.stdout)
    assert f"{project / LATEST / 'unit.json'}: is a symlink" in line
    assert victim.read_text() == "precious\n"
    assert (project / LATEST / "unit.json").is_symlink()
    assert not (project / LATEST / "summary.json").exists(), (
        "summary.json and the suite files beside it come from one run"
    )
    assert (project / LATEST / "unit.xml").is_file()  # the rest of the run is published


def test_a_symlinked_dir_between_the_project_and_its_report_dir_is_refused_before_running(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".zenboard").mkdir()
    (project / ".zenboard" / "reports").symlink_to(outside)
    done = _run(project)
    line = _refusal(done)
    assert f"{project / '.zenboard' / 'reports'}: is a symlink" in line
    assert "[unit]" not in done.stdout  # nothing started
    assert list(outside.iterdir()) == []


def test_a_report_dir_the_user_names_through_a_symlink_is_theirs(tmp_path: Path) -> None:
    """`--report-dir` is the user's choice, links and all: only what is below it is guarded
    (documented in docs/ci.md)."""
    project = write_project(tmp_path / "proj", PASSING)
    real = tmp_path / "artifacts"
    real.mkdir()
    (project / "out").symlink_to(real)
    done = _run(project, "--report-dir", str(project / "out" / "latest"))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((real / "latest" / "summary.json").read_text())
    assert [s["name"] for s in summary["suites"]] == ["unit"]


def test_compose_template_refuses_to_write_through_a_committed_symlink(
    tmp_path: Path, victim: Path
) -> None:
    project = write_project(
        tmp_path / "proj",
        {"pyproject.toml": "[tool.zenboard.ports]\nservices = { postgres = 5432 }\n"},
    )
    (project / "docker-compose.zenflow.yml").symlink_to(victim)  # `-> ~/.bashrc`
    done = run_cli(["compose-template", "--project", str(project), "--task", "t1"], project)
    line = _refusal(done)
    assert "docker-compose.zenflow.yml: is a symlink" in line
    assert victim.read_text() == "precious\n"
    assert (project / "docker-compose.zenflow.yml").is_symlink()


def test_init_refuses_to_write_through_a_symlinked_pyproject(tmp_path: Path) -> None:
    shared = tmp_path / "shared.toml"
    shared.write_text('[project]\nname = "shared"\n')
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").symlink_to(shared)
    line = _refusal(run_cli(["init", "--project", str(project)], project))
    assert "pyproject.toml: is a symlink" in line
    assert shared.read_text() == '[project]\nname = "shared"\n'


def test_verify_refuses_to_write_its_proof_through_a_symlinked_zenflow(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / ".zenflow").symlink_to(outside)
    done = run_cli(["verify", "--runs", "1", "--task", "t1", "--project", str(project)], project)
    line = _refusal(done)
    assert f"{project / '.zenflow'}: is a symlink" in line
    assert list(outside.iterdir()) == []
    assert not (project / ".zenboard" / "reports" / "verify").exists(), "a run started"


def test_a_proof_log_planted_as_a_symlink_is_one_line_and_verify_goes_on(
    tmp_path: Path, victim: Path
) -> None:
    """A later failed write never ends the job: the runs go on, the verdict is printed, the
    exit code is at least 1 (a stable verdict without its proof is no green)."""
    project = write_project(tmp_path / "proj", PASSING)
    proofs = project / ".zenflow" / "tasks" / "t1"
    proofs.mkdir(parents=True)
    (proofs / "proof_run1.txt").symlink_to(victim)
    done = run_cli(["verify", "--runs", "2", "--task", "t1", "--project", str(project)], project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"proof log not written: {proofs / 'proof_run1.txt'}: is a symlink; "
        "zenboard does not write through it"
    ]
    assert "run 2/2: 1 passed" in done.stdout and "verdict: stable" in done.stdout
    assert (proofs / "proof_run2.txt").is_file()
    assert victim.read_text() == "precious\n"
    assert [p.name for p in proofs.iterdir() if p.name.endswith(".tmp")] == []


def _world_writable(directory: Path) -> None:
    directory.mkdir(parents=True)
    directory.chmod(0o777)


def _other_owner(directory: Path) -> None:
    directory.mkdir(parents=True)
    os.chown(directory, 12345, 12345)


def _symlinked(directory: Path) -> None:
    real = directory.parent / "elsewhere"
    real.mkdir(parents=True)
    directory.symlink_to(real)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (_world_writable, "is world-writable"),
        pytest.param(
            _other_owner,
            "is owned by uid 12345",
            marks=pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root"),
        ),
        (_symlinked, "is a symlink"),
    ],
    ids=["world-writable", "another-owner", "symlink"],
)
def test_an_unsafe_project_state_dir_is_refused_in_one_line(
    tmp_path: Path, make: object, said: str
) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    assert callable(make)
    make(project / ".zenboard")
    done = _run(project)
    line = _refusal(done)
    assert f"{project / '.zenboard'}: {said}" in line
    assert "[unit]" not in done.stdout
    assert not (project / ".zenboard" / "reports").exists()


def test_a_world_writable_port_registry_dir_is_refused_in_one_line(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", PASSING)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, timeout=60)
    _world_writable(project / ".git" / "zenboard")
    line = _refusal(_run(project))
    assert f"{project / '.git' / 'zenboard'}: is world-writable" in line
    assert "port registry" in line


def test_a_workers_media_dir_planted_as_a_symlink_is_refused(tmp_path: Path) -> None:
    """`media_dir(tempfile.gettempdir())` lives in a shared /tmp: another user could plant the
    worker's name there as a link to the user's files."""
    base = tmp_path / "shared-tmp"
    base.mkdir()
    (base / "media_gw0").symlink_to(tmp_path)
    with pytest.raises(safefs.SymlinkRefused):
        media_dir(base, "media", {"PYTEST_XDIST_WORKER": "gw0"})
    assert media_dir(base, "media", {"PYTEST_XDIST_WORKER": "gw1"}).is_dir()
