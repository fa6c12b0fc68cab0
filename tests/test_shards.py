"""Shards: every test in exactly one shard, balanced plans, real shard runs and their merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.config import load_config
from zenboard.engine.commands import build_suite_command
from zenboard.engine.commands.pytest import ARGFILE_THRESHOLD
from zenboard.errors import InputError
from zenboard.planning.collect import collect
from zenboard.planning.schedule import order_by_file, size_workers
from zenboard.planning.shards import parse_shard, plan, shard_load
from zenboard.records import durations

IDS = [f"tests/test_{f}.py::test_{i}" for f in "abcdefg" for i in range(7)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_every_test_is_in_exactly_one_shard(n: int) -> None:
    known = {nodeid: (i * 37 % 11) / 10 for i, nodeid in enumerate(IDS[::2])}
    shards = plan(IDS, known, n)
    assert len(shards) == n
    flat = [t for shard in shards for t in shard]
    assert sorted(flat) == sorted(IDS)
    assert len(flat) == len(set(flat))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_without_durations_shards_get_even_counts(n: int) -> None:
    sizes = [len(s) for s in plan(IDS, {}, n)]
    assert max(sizes) - min(sizes) <= 1


def test_the_plan_depends_only_on_ids_and_durations() -> None:
    known = {nodeid: float(i % 5) for i, nodeid in enumerate(IDS)}
    assert plan(IDS, known, 3) == plan(IDS, dict(reversed(known.items())), 3)
    shuffled = IDS[3:] + IDS[:3]
    as_sets = [set(s) for s in plan(IDS, known, 3)]
    assert as_sets == [set(s) for s in plan(shuffled, known, 3)]


def test_durations_balance_a_heavy_test_against_many_light_ones() -> None:
    ids = ["t.py::heavy", *(f"t.py::light{i}" for i in range(10))]
    known = {"t.py::heavy": 10.0, **{f"t.py::light{i}": 1.0 for i in range(10)}}
    first, second = plan(ids, known, 2)
    assert {len(first), len(second)} == {1, 10}
    assert shard_load(first, known, ids) == shard_load(second, known, ids) == 10.0


def test_unknown_tests_weigh_the_median_of_known_ones() -> None:
    known = {"t.py::a": 1.0, "t.py::b": 3.0, "t.py::c": 5.0}
    assert shard_load(["t.py::new"], known, ["t.py::new", *known]) == 3.0


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "2/0", ""])
def test_bad_shard_values_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="--shard"):
        parse_shard(text)


def test_files_run_longest_first() -> None:
    ids = ["a.py::x", "b.py::y", "b.py::z", "c.py::w"]
    known = {"a.py::x": 1.0, "b.py::y": 0.5, "b.py::z": 0.1, "c.py::w": 3.0}
    assert order_by_file(ids, known) == ["c.py::w", "a.py::x", "b.py::y", "b.py::z"]


def test_worker_counts_follow_expected_durations() -> None:
    from zenboard.config import SuiteConfig

    suites = (
        SuiteConfig("big", workers=4),
        SuiteConfig("small", workers=4),
        SuiteConfig("new", workers=2),
    )
    known = {"big": {f"t::{i}": 1.0 for i in range(20)}, "small": {"t::a": 0.5}}
    sized = {s.name: s.workers for s in size_workers(suites, known, cores=6)}
    assert sized == {"big": 7, "small": 0, "new": 2}, "the configured 8 workers, re-dealt"
    scoped = (SuiteConfig("scoped", workers=1, dist="loadscope"),)
    files = {f"f{i}.py::t{j}": 1.0 for i in range(3) for j in range(2)}
    assert [s.workers for s in size_workers(scoped, {"scoped": files}, cores=8)] == [3], (
        "one per file"
    )
    tiny = (SuiteConfig("tiny", workers=4),)
    assert [s.workers for s in size_workers(tiny, {"tiny": {"a": 0.3, "b": 0.3}}, cores=8)] == [0]


SHARD_TESTS = """
import time
import pytest

@pytest.mark.unit
@pytest.mark.parametrize("i", range(9))
def test_unit(i):
    assert i != 7

@pytest.mark.api
@pytest.mark.parametrize("i", range(4))
def test_api(i):
    time.sleep(0.01 * i)
"""


@pytest.mark.slow
def test_shards_cover_every_test_once_and_merge_to_the_unsharded_run(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(
                'name = "fast"\nargs = ["-m", "unit"]\nworkers = 0',
                'name = "api"\nargs = ["-m", "api"]\nworkers = 0',
            ),
            "tests/test_things.py": SHARD_TESTS,
            "tests/test_more.py": SHARD_TESTS.replace("range(9)", "range(3)").replace(
                "range(4)", "range(2)"
            ),
        },
    )
    full = run_cli(["run", "--ci"], project)
    assert full.returncode == 1, full.stdout + full.stderr
    expected = {
        (s["name"], t["nodeid"]): t["outcome"]
        for s in json.loads((project / ".zenboard/reports/latest/summary.json").read_text())[
            "suites"
        ]
        for t in s["tests"]
    }
    assert len(expected) == 18
    known = durations.load(project)
    assert set(known) == {"fast", "api"}, "a full unsharded run writes durations.json"
    planned = run_cli(["run", "--ci", "--plan", "durations"], project)
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "files longest first" in planned.stdout
    api_order = [
        t["nodeid"]
        for t in json.loads((project / ".zenboard/reports/latest/api.json").read_text())["tests"]
    ]
    assert api_order[0].startswith("tests/test_things.py"), "the longer file (sleeps) runs first"
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert {
        (s["name"], t["nodeid"]): t["outcome"] for s in summary["suites"] for t in s["tests"]
    } == expected
    known = durations.load(project)  # the planned run was full and unsharded: it refreshed them
    dirs = []
    seen: list[tuple[str, str]] = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard{k}"
        done = run_cli(["run", "--ci", "--shard", f"{k}/3", "--report-dir", str(out)], project)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["shard"] == f"{k}/3"
        seen += [(s["name"], t["nodeid"]) for s in summary["suites"] for t in s["tests"]]
        dirs.append(str(out))
    assert sorted(seen) == sorted(expected)
    assert json.loads((project / ".zenboard/durations.json").read_text())["suites"] == {
        s: {n: pytest.approx(v) for n, v in t.items()} for s, t in known.items()
    }, "shard runs never rewrite durations.json"
    merged_dir = tmp_path / "merged"
    merged = run_cli(["merge", *dirs, "--report-dir", str(merged_dir)], project)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    summary = json.loads((merged_dir / "summary.json").read_text())
    assert {
        (s["name"], t["nodeid"]): t["outcome"] for s in summary["suites"] for t in s["tests"]
    } == expected
    fast = next(s for s in summary["suites"] if s["name"] == "fast")
    assert fast["counts"]["failed"] == 1 and fast["status"] == "failed"
    report = json.loads((merged_dir / "fast.json").read_text())
    assert sorted(t["nodeid"] for t in report["tests"]) == sorted(
        n for s, n in expected if s == "fast"
    )
    assert report["summary"]["failed"] == 1
    junit = (merged_dir / "api.xml").read_text()
    assert junit.count("<testcase") == 6


@pytest.mark.slow
def test_merge_refuses_duplicates_and_other_commits(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "fast"\nargs = ["-m", "unit"]\nworkers = 0'),
            "test_things.py": "import pytest\n\n@pytest.mark.unit\ndef test_one():\n    pass\n",
        },
    )
    out = tmp_path / "a"
    assert run_cli(["run", "--ci", "--report-dir", str(out)], project).returncode == 0
    twice = run_cli(["merge", str(out), str(out), "--report-dir", str(tmp_path / "m")], project)
    assert twice.returncode == 2
    assert (
        twice.stderr.count("\n") == 1
        and "test_one" in twice.stderr
        and "Traceback" not in twice.stderr
    )
    other = tmp_path / "b"
    other.mkdir()
    summary = json.loads((out / "summary.json").read_text())
    summary.update(commit="0123abcd", suites=[])
    (other / "summary.json").write_text(json.dumps(summary))
    mixed = run_cli(["merge", str(out), str(other), "--report-dir", str(tmp_path / "m")], project)
    assert mixed.returncode == 2
    assert "0123abcd" in mixed.stderr and "same commit" in mixed.stderr
    missing = run_cli(
        ["merge", str(tmp_path / "nowhere"), "--report-dir", str(tmp_path / "m")], project
    )
    assert missing.returncode == 2 and "summary.json" in missing.stderr


@pytest.mark.slow
def test_collection_gives_rootdir_relative_ids_from_the_suites_cwd(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "sub"\ncwd = "backend"\nworkers = 0'),
            "backend/tests/test_x.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
        },
    )
    found = collect(load_config(project).suite("sub"))
    assert found.error == ""
    assert found.nodeids == ("backend/tests/test_x.py::test_a", "backend/tests/test_x.py::test_b")
    assert Path(found.rootdir) == project.resolve()


def test_durations_file_is_indented_json_with_a_test_per_line(tmp_path: Path) -> None:
    data = {"gen": {'t.py::test_b[é"x]': 0.25, "t.py::test_a": 1e-06}, "empty": {}}
    path = durations.save(tmp_path, data)
    text = path.read_text(encoding="utf-8")
    expected = {
        "version": 1,
        "suites": {s: dict(sorted(t.items())) for s, t in sorted(data.items())},
    }
    assert text == json.dumps(expected, indent=1) + "\n"
    assert durations.load(tmp_path) == data


@pytest.mark.slow
def test_a_long_selection_goes_through_an_argfile_that_does_not_outlive_the_run(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml('name = "many"\nworkers = 2'),
            "test_many.py": """
                import pytest

                @pytest.mark.parametrize("i", range(300))
                def test_i(i):
                    pass
            """,
        },
    )
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    env = {"TMPDIR": str(scratch_root)}
    done = run_cli(["run", "--ci", "--shard", "1/2"], project, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert len(summary["suites"][0]["tests"]) == 150 > ARGFILE_THRESHOLD
    leftovers = [p.name for p in scratch_root.iterdir() if p.name.startswith("zenboard-")]
    assert leftovers == [], "the argfile's directory is removed when zenboard exits"
    done = run_cli(["run", "--ci"], project, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [p for p in scratch_root.iterdir() if p.name.startswith("zenboard-")]
    # The shard's 150 nodeids reach pytest as `@argsfile` in the scratch directory it is given.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    nodeids = tuple(f"test_many.py::test_i[{i}]" for i in range(150))
    suite = load_config(project).suites[0]
    argv = build_suite_command(suite, tmp_path / "r.json", nodeids, scratch=lambda: scratch).argv
    assert f"@{scratch / 'many-nodeids.txt'}" in argv
    assert not any(arg.startswith("test_many.py::") for arg in argv)
    assert (scratch / "many-nodeids.txt").read_text().split() == list(nodeids)


@pytest.mark.slow
def test_shards_of_a_project_with_a_broken_suite_merge(tmp_path: Path) -> None:
    """The plan's fingerprint takes whether collection failed, not pytest's words for it: its
    last line carries the time collection took, which differs from shard to shard."""
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(
                'name = "ok"\nargs = ["tests/test_ok.py"]\nworkers = 0',
                'name = "broken"\nargs = ["tests/test_broken.py"]\nworkers = 0',
            ),
            "tests/test_ok.py": "def test_a():\n    pass\n",
            "tests/test_broken.py": "import nope\n",
        },
    )
    for k in (1, 2):
        done = run_cli(["run", "--ci", "--shard", f"{k}/2", "--report-dir", f"r{k}"], project)
        assert done.returncode == (1 if k == 1 else 0), done.stdout + done.stderr
    merged = run_cli(["merge", "r1", "r2", "--report-dir", "m"], project)
    assert merged.returncode == 1, merged.stderr
    assert "(exit 1)" in merged.stdout
