"""The isolation helpers in real runs: suites at once, a cancel, and two git worktrees at once.

Every project here is a small one of its own (not the demo), run by the real `zenboard run --ci`
with real pytest-xdist workers. The workers of a run meet at a barrier (each writes what it was
given, then waits for the others' files), so every claim is live while the others are.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ZENBOARD, run_cli, wait_for, write_project

pytestmark = pytest.mark.slow

CONFTEST = """
import json, os, time
from pathlib import Path

import pytest
from zenboard.isolation import db_name, media_dir

OUT = Path(os.environ["ISOLATION_OUT"])


def barrier(count):
    deadline = time.monotonic() + 120
    while len(list(OUT.glob("*.json"))) < count:
        assert time.monotonic() < deadline, "the other workers never came"
        time.sleep(0.05)
    claims = os.environ.get("SHARED_CLAIMS")  # two worktrees: both runs have published
    while claims and len(list(Path(claims).glob("*.json"))) < count:
        assert time.monotonic() < deadline, "the other run never published its claims"
        time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def used():
    base = os.environ.get("MEDIA_BASE") or None
    names = {
        "suite": os.environ.get("ZENBOARD_SUITE"),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "db": db_name("test_app", suite=os.environ.get("WITH_SUITE") != "0"),
        "media": str(media_dir(base, "media")),
    }
    (Path(names["media"]) / "upload.txt").write_text("x")
    label = os.environ.get("LABEL", "") + names["suite"] + "-" + names["worker"]
    (OUT / f"{label}.json").write_text(json.dumps(names))
    barrier(int(os.environ["BARRIER"]))
    if os.environ.get("HOLD"):  # until the run is cancelled
        time.sleep(120)
    return names
"""

TESTS = """
import pytest

@pytest.mark.api
@pytest.mark.parametrize("i", range(4))
def test_api(i):
    pass

@pytest.mark.processing
@pytest.mark.parametrize("i", range(4))
def test_processing(i):
    pass
"""


def pyproject(workers: int, suites: tuple[str, ...] = ("integration", "processing")) -> str:
    markers = {"integration": "api", "processing": "processing"}
    parts = [
        '[tool.pytest.ini_options]\nmarkers = ["api", "processing"]\n',
        "[tool.zenboard]\n",
    ]
    for suite in suites:
        parts.append(
            f'[[tool.zenboard.suites]]\nname = "{suite}"\nargs = ["-m", "{markers[suite]}"]\n'
            f'workers = {workers}\ncwd = "backend"\n'
        )
    return "\n".join(parts)


def project(
    root: Path, workers: int, suites: tuple[str, ...] = ("integration", "processing")
) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": pyproject(workers, suites),
            "backend/tests/conftest.py": CONFTEST,
            "backend/tests/test_things.py": TESTS,
        },
    )


def environment(tmp_path: Path, barrier: int, **more: str) -> dict[str, str]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    return {"ISOLATION_OUT": str(out), "BARRIER": str(barrier), "TMPDIR": str(temp), **more}


def given(tmp_path: Path) -> list[dict[str, Any]]:
    """What each worker was given, as it wrote it."""
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*.json"))]


def summary(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / ".zenboard/reports/latest/summary.json").read_text())
    return data


def test_two_suites_at_once_get_distinct_names_and_their_media_dirs_go(
    tmp_path: Path, isolated_state: None
) -> None:
    root = project(tmp_path / "proj", workers=2)
    done = run_cli(["run", "--ci"], root / "backend", env=environment(tmp_path, barrier=4))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "SHARED" not in output
    workers = given(tmp_path)
    assert {(w["suite"], w["worker"]) for w in workers} == {
        (s, g) for s in ("integration", "processing") for g in ("gw0", "gw1")
    }
    assert sorted(w["db"] for w in workers) == [
        "test_app_integration_gw0",
        "test_app_integration_gw1",
        "test_app_processing_gw0",
        "test_app_processing_gw1",
    ]
    media = [Path(w["media"]) for w in workers]
    assert len(set(media)) == 4
    assert not any(path.exists() for path in media), "a run's media dirs go with it"
    assert list((tmp_path / "tmp").glob("zenboard-*")) == [], "no run dir is left behind"
    isolation = summary(root)["isolation"]
    assert isolation["conflicts"] == []
    claimed = {(c["suite"], c["worker"], c["kind"], c["value"]) for c in isolation["claims"]}
    for w in workers:
        assert (w["suite"], w["worker"], "db", w["db"]) in claimed
        assert (w["suite"], w["worker"], "media", w["media"]) in claimed
    assert not any(c["worker"] == "main" for c in isolation["claims"]), "the controller's claims"


def test_a_name_two_suites_share_is_warned_about_and_recorded(
    tmp_path: Path, isolated_state: None
) -> None:
    """The issue's collision, made on purpose: settings that leave the suite out of the name."""
    root = project(tmp_path / "proj", workers=1)
    env = environment(tmp_path, barrier=2, WITH_SUITE="0")
    done = run_cli(["run", "--ci"], root / "backend", env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output  # a warning: the exit code is the tests'
    [line] = [x for x in output.splitlines() if x.startswith("isolation: SHARED")]
    assert line.startswith("isolation: SHARED database test_app_gw0 is used by "), line
    assert "[integration] gw0" in line and "[processing] gw0" in line, line
    assert "isolation: 1 resource used by more than one live worker at once" in output
    [conflict] = summary(root)["isolation"]["conflicts"]
    assert conflict["kind"] == "db" and conflict["value"] == "test_app_gw0"
    holders = {(h["suite"], h["worker"], h["worktree"]) for h in conflict["holders"]}
    assert holders == {("integration", "gw0", None), ("processing", "gw0", None)}


def test_a_cancelled_runs_media_dirs_go_too(tmp_path: Path, isolated_state: None) -> None:
    root = project(tmp_path / "proj", workers=1, suites=("integration",))
    env = {**os.environ, **environment(tmp_path, barrier=1, HOLD="1")}
    run = subprocess.Popen(
        [*ZENBOARD, "run", "--ci"],
        cwd=root / "backend",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        [worker] = wait_for(lambda: given(tmp_path), "the worker to take its media dir", 120)
        media = Path(worker["media"])
        assert media.is_dir()
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 1, output
    assert not media.exists()
    assert list((tmp_path / "tmp").glob("zenboard-*")) == [], "no run dir is left behind"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_a_resource_two_worktrees_share_is_warned_about_in_both(
    tmp_path: Path, isolated_state: None
) -> None:
    """Two worktrees of one repository, each running its suite at once: a media dir under one
    fixed base and a database on the machine's one server are the same for both."""
    main = project(tmp_path / "repo", workers=1, suites=("integration",))
    git("init", "-q", cwd=main)
    git("add", ".", cwd=main)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "project", cwd=main)
    other = tmp_path / "wt-b"
    git("worktree", "add", "-q", str(other), cwd=main)
    shared_base = tmp_path / "shared-media"
    runs = []
    for label, root in (("a-", main), ("b-", other)):
        env = environment(
            tmp_path,
            barrier=2,
            LABEL=label,
            MEDIA_BASE=str(shared_base),
            SHARED_CLAIMS=str(main / ".git" / "zenboard" / "claims"),
        )
        runs.append(
            subprocess.Popen(
                [*ZENBOARD, "run", "--ci"],
                cwd=root / "backend",
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    try:
        for run in runs:
            outputs.append(run.communicate(timeout=240)[0])
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    for run, output, (here, there) in zip(
        runs, outputs, ((main, other), (other, main)), strict=True
    ):
        assert run.returncode == 0, output
        shared = [x for x in output.splitlines() if x.startswith("isolation: SHARED")]
        assert len(shared) == 2, output
        db = next(x for x in shared if " database test_app_integration_gw0 " in x)
        media = next(
            x for x in shared if f" media dir {shared_base / 'media_integration_gw0'} " in x
        )
        for line in (db, media):
            assert (
                f"[integration] gw0 in {here} and [integration] gw0 in {there} (zenboard pid"
                in line
            )
        conflicts = summary(here)["isolation"]["conflicts"]
        assert {c["kind"] for c in conflicts} == {"db", "media"}
        for conflict in conflicts:
            assert {h["worktree"] for h in conflict["holders"]} == {None, str(there)}


async def test_the_dashboard_warns_of_a_shared_name(
    tmp_path: Path, isolated_state: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import settled, wait_until
    from zenboard.ui.launcher import make_app

    root = project(tmp_path / "proj", workers=1)
    for key, value in environment(tmp_path, barrier=2, WITH_SUITE="0").items():
        monkeypatch.setenv(key, value)  # the suites inherit them
    app = make_app(root, run_at_start=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "both suites to finish")
        await pilot.pause(0.3)
        warned = [m for m in app.said if "database test_app_gw0 is used by" in m]
        assert len(warned) == 1, list(app.said)
        assert "[integration] gw0" in warned[0] and "[processing] gw0" in warned[0]
        assert "1 shared resource" in app.header.render().plain
    assert summary(root)["isolation"]["conflicts"][0]["value"] == "test_app_gw0"
