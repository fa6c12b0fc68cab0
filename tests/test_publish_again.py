"""Publishing the same staged reports again (the dashboard does after each suite's run) leaves
no temp file behind: the published file and the new link are one file, and rename(2) then
does nothing."""

from __future__ import annotations

from pathlib import Path

from zenboard.model.state import RunState
from zenboard.records import reports


def test_a_second_publish_of_the_same_files_leaves_no_temp_file(tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    staging = report_dir / ".run-1-abc"
    staging.mkdir(parents=True)
    (staging / "unit.json").write_text("{}\n")
    (staging / "unit.xml").write_text("<testsuites/>\n")
    state = RunState.for_suites(["unit"])
    state.suites["unit"].runs = 1
    for _ in range(3):
        reports.publish(state, staging, report_dir)
    names = sorted(p.name for p in report_dir.iterdir() if p.is_file())
    assert [n for n in names if n.endswith(".tmp")] == []
    assert {"summary.json", "unit.json", "unit.xml"} <= set(names)
    assert (report_dir / "unit.json").read_text() == "{}\n"
