"""The team's history in a real PostgreSQL server (a throwaway cluster from Debian's packages).

Real `zenboard run` processes from separate project copies write to one database at once, and
`zenboard history` from a third directory reads them all; `durations --update` turns the shared
history into the durations file that every shard then plans from. The server's password is
random and appears in no other string, so "never shown" is checked against every output.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT, ZENBOARD, run_cli, write_project
from tests.postgres_server import Cluster, free_port, unavailable
from zenboard.planning.shards import plan
from zenboard.records import durations
from zenboard.records.history import History
from zenboard.records.history_db.postgres import LATEST

pytestmark = pytest.mark.slow

COPIES = 4
MIGRATORS = 8
TESTS = """
import pytest

@pytest.mark.smoke
@pytest.mark.parametrize("i", range(6))
def test_step(i):
    pass

@pytest.mark.smoke
def test_only_in_COPY():
    pass
"""


APP = "github.com/team/app"
"""The key of every clone of the project, whichever form its remote URL takes."""
REMOTES = ("https://ci:tok3n@github.com/team/app.git", "git@github.com:team/app.git")


def _project(
    root: Path, copy: str, branch: str | None = None, remote: str | None = None, name: str = ""
) -> Path:
    project = f'project = "{name}"\n' if name else ""
    write_project(
        root,
        {
            "pyproject.toml": (
                '[tool.pytest.ini_options]\nmarkers = ["smoke: quick checks"]\n'
                f'[tool.zenboard]\n{project}[[tool.zenboard.suites]]\nname = "checks"\n'
                'args = ["-m", "smoke"]\nworkers = 0\n'
            ),
            "tests/test_steps.py": TESTS.replace("COPY", copy),
            "tests/data/.keep": "",
        },
    )
    if branch:
        git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run([*git, "init", "-q", "-b", branch], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "tests"], check=True)
    if remote:
        subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    return root


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    why = unavailable()
    if why:
        pytest.skip(f"no PostgreSQL cluster: {why}")
    server = Cluster().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class SharedRuns:
    url: str
    copies: list[Path]
    outputs: list[str]


@pytest.fixture(scope="module")
def shared(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    """COPIES runs at once, each from its own clone on its own branch, into one fresh database
    (clones of one repository: their remotes' URLs differ in form, not in the repository)."""
    url = cluster.create_database("team")
    base = tmp_path_factory.mktemp("copies")
    copies = [
        _project(base / f"copy{k}", f"copy{k}", f"feature-{k}", REMOTES[k % 2])
        for k in range(COPIES)
    ]
    env = {"ZENBOARD_HISTORY_URL": url}
    procs = [
        subprocess.Popen(  # from a subfolder, as a user in their tests/ dir would
            [*ZENBOARD, "run", "--ci"],
            cwd=copy / "tests",
            env={**_env(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for copy in copies
    ]
    outputs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
        outputs.append(out)
    return SharedRuns(url, copies, outputs)


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_concurrent_runs_from_copies_all_show_in_history_from_a_third_dir(
    shared: SharedRuns, cluster: Cluster, tmp_path: Path
) -> None:
    for copy, out in zip(shared.copies, shared.outputs, strict=True):
        assert "history not recorded" not in out, out
        assert not (copy / ".zenboard" / "history.db").exists(), "a URL writes no local file"
    elsewhere = _project(tmp_path / "third", "third", "main", "ssh://git@GitHub.com:22/team/app")
    upper = "POSTGRESQL" + shared.url.removeprefix("postgresql")  # the scheme in any case
    env = {"ZENBOARD_HISTORY_URL": upper}
    done = run_cli(["history", "--json", "--limit", "50"], elsewhere, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert len(runs) == COPIES
    assert {r["project"] for r in runs} == {APP}, "no user or password of the remote kept"
    assert sorted(r["branch"] for r in runs) == [f"feature-{k}" for k in range(COPIES)]
    assert {r["machine"] for r in runs} == {socket.gethostname()}
    assert all(r["tests"] == 7 and r["commit"] for r in runs)
    with History(elsewhere, shared.url) as db:
        patterns = db.outcome_patterns()
    assert len(patterns) == 6 + COPIES, "every test of every run was recorded"
    assert patterns[("checks", "tests/test_steps.py::test_step[0]")] == "P" * COPIES
    assert not (elsewhere / ".zenboard" / "history.db").exists()

    one = next(r for r in runs if r["branch"] == "feature-2")
    by_branch = run_cli(["history", "--branch", "feature-2"], elsewhere, env=env)
    assert by_branch.returncode == 0, by_branch.stderr
    lines = [line for line in by_branch.stdout.splitlines() if line.startswith("  #")]
    assert len(lines) == 1 and "feature-2" in lines[0] and socket.gethostname() in lines[0]
    by_commit = run_cli(["history", "--json", "--commit", one["commit"][:8]], elsewhere, env=env)
    assert [r["id"] for r in json.loads(by_commit.stdout)["runs"]] == [one["id"]]
    host = run_cli(["history", "--json", "--machine", socket.gethostname()], elsewhere, env=env)
    assert len(json.loads(host.stdout)["runs"]) == COPIES
    nobody = run_cli(["history", "--json", "--machine", "no-such-host"], elsewhere, env=env)
    assert json.loads(nobody.stdout)["runs"] == []
    review = run_cli(["history", "--flaky", "--json"], elsewhere, env=env)
    assert review.returncode == 0 and json.loads(review.stdout)["candidates"] == []
    from zenboard.ui.sources.history import ProjectHistory

    assert ProjectHistory(elsewhere, shared.url).load().runs == COPIES, "the dashboard reads it"
    for text in (*shared.outputs, done.stdout, by_branch.stdout, by_commit.stdout, review.stdout):
        assert cluster.password not in text


def test_durations_update_from_the_shared_history_plans_every_shard(
    shared: SharedRuns, tmp_path: Path
) -> None:
    fresh = _project(tmp_path / "ci", "copy3", "main", REMOTES[0])
    env = {"ZENBOARD_HISTORY_URL": shared.url}
    done = run_cli(["durations", "--update"], fresh, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with History(fresh, shared.url) as db:
        from_history = db.last_full_durations()
    assert durations.load(fresh) == from_history
    known = durations.load(fresh)["checks"]
    assert len(known) == 7, "the latest full run of the suite, from another machine's copy"
    heavy = "tests/test_steps.py::test_step[4]"  # the file, not the history, plans the shards
    known[heavy] = 1000.0
    durations.save(fresh, {"checks": known})
    seen: dict[int, set[str]] = {}
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        args = ["run", "--ci", "--shard", f"{k}/2", "--report-dir", str(out)]
        shard = run_cli(args, fresh, env=env)
        assert shard.returncode == 0, shard.stdout + shard.stderr
        summary = json.loads((out / "summary.json").read_text())
        seen[k] = {t["nodeid"] for s in summary["suites"] for t in s["tests"]}
    every = seen[1] | seen[2]
    assert len(every) == 7 and not seen[1] & seen[2], "every test in exactly one shard"
    expected = plan(sorted(every), known, 2)
    assert [seen[1], seen[2]] == [set(expected[0]), set(expected[1])]
    assert {heavy} in (seen[1], seen[2]), "the heavy test has a shard to itself"
    assert durations.load(fresh)["checks"][heavy] == 1000.0, "shards never rewrite the file"
    with History(fresh, shared.url) as db:
        assert db.last_full_durations() == from_history, "a shard's slice is no suite's durations"
        assert [r["shard"] for r in db.recent_runs(2)] == ["2/2", "1/2"], "shards record too"


def test_another_project_in_the_database_sees_only_its_own_runs_and_durations(
    shared: SharedRuns, tmp_path: Path
) -> None:
    """Same remote (a monorepo), same suite name, but its own `project` name: kept apart."""
    other = _project(tmp_path / "billing", "billing", "main", REMOTES[1], name="billing")
    env = {"ZENBOARD_HISTORY_URL": shared.url}
    ran = run_cli(["run", "--ci"], other / "tests", env=env)
    assert ran.returncode == 0 and "history not recorded" not in ran.stdout, ran.stdout
    theirs = json.loads(run_cli(["history", "--json"], other, env=env).stdout)
    assert theirs["project"] == "billing"
    assert [(r["project"], r["tests"]) for r in theirs["runs"]] == [("billing", 7)]
    assert {t["nodeid"] for t in theirs["slowest"]} <= {
        *(f"tests/test_steps.py::test_step[{i}]" for i in range(6)),
        "tests/test_steps.py::test_only_in_billing",
    }
    ours = json.loads(
        run_cli(["history", "--json", "--limit", "50"], shared.copies[0], env=env).stdout
    )
    assert ours["project"] == APP and len(ours["runs"]) >= COPIES
    assert {r["project"] for r in ours["runs"]} == {APP}
    assert not any("billing" in t["nodeid"] for t in ours["slowest"] + ours["flakiest"])
    every = run_cli(["history", "--json", "--all-projects", "--limit", "50"], other, env=env)
    assert {r["project"] for r in json.loads(every.stdout)["runs"]} == {APP, "billing"}
    text = run_cli(["history"], other, env=env).stdout
    assert text.startswith("recent runs of billing\n") and APP not in text
    assert run_cli(["durations", "--update"], other, env=env).returncode == 0
    assert set(durations.load(other)["checks"]) == {
        *(f"tests/test_steps.py::test_step[{i}]" for i in range(6)),
        "tests/test_steps.py::test_only_in_billing",
    }, "its own suite's tests, not the same-named suite of the other project"


def test_an_empty_database_is_migrated_by_processes_starting_at_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.create_database("fresh")
    start = time.time() + 1.5
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from zenboard.records.history import History\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "with History(Path('.'), sys.argv[1]) as db:\n"
        "    print(db.run_count())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, str(start)],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(MIGRATORS)
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "0", out
    import psycopg

    with psycopg.connect(url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version")]
        tables = {
            t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert versions == list(range(1, LATEST + 1)), "migrated once, whoever came first"
    assert {"runs", "suite_runs", "test_results", "schema_version"} <= tables


def test_an_unreachable_server_costs_a_run_one_line_and_not_its_exit_code(
    cluster: Cluster, tmp_path: Path
) -> None:
    project = _project(tmp_path / "proj", "lonely")
    password = "unseen" + cluster.password[::-1]
    url = f"postgresql://zen:{password}@127.0.0.1:{free_port()}/team"
    env = {"ZENBOARD_HISTORY_URL": url}
    done = run_cli(["run", "--ci"], project, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if "history not recorded" in line]
    assert len(said) == 1, done.stdout
    assert said[0].startswith("history not recorded: postgresql://zen:***@127.0.0.1:")
    assert not (project / ".zenboard" / "history.db").exists()
    read = run_cli(["history"], project, env=env)
    assert read.returncode == 2
    assert read.stderr.count("\n") == 1 and "postgresql://zen:***@" in read.stderr, read.stderr
    wrong = cluster.url("team").replace(cluster.password, password)
    refused = run_cli(["history"], project, env={"ZENBOARD_HISTORY_URL": wrong})
    assert refused.returncode == 2 and "password authentication failed" in refused.stderr
    for text in (done.stdout, done.stderr, read.stdout, read.stderr, refused.stderr):
        assert password not in text and "Traceback" not in text


def test_verify_reads_the_flips_other_machines_recorded_in_the_shared_history(
    cluster: Cluster, tmp_path: Path
) -> None:
    from zenboard.records.history import RunRecord, SuiteRecord, TestRecord

    url = cluster.create_database("verified")
    project = _project(tmp_path / "proj", "verified")
    flipping = "tests/test_steps.py::test_step[3]"
    with History(project, url) as db:
        for i, (outcome, machine) in enumerate([("failed", "ci-7"), ("passed", "laptop")]):
            tests = (TestRecord(flipping, outcome, 0.1, "main"),)
            suite = SuiteRecord("checks", "passed", 1.0, 0, False, tests)
            db.record(RunRecord(1000.0 + i, 1001.0 + i, "run", 0, suites=(suite,), machine=machine))
    done = run_cli(["verify", "--runs", "1", "--json"], project, env={"ZENBOARD_HISTORY_URL": url})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "history not read" not in done.stderr
    [note] = json.loads(done.stdout)["history"]
    assert (note["nodeid"], note["pattern"], note["machines"]) == (
        flipping,
        "FP",
        ["ci-7", "laptop"],
    )
    assert cluster.password not in done.stdout + done.stderr
