"""Failure rows that tell tests apart, in an order that holds, and escape that clears a filter.

Issue 16: two parametrized failures in one deep file both read `test_isolation_leak.py::test_i…`
(the part that differs was cut), rows moved after reruns and after clearing a filter, and
escape left a filter applied. The pure part (`render.fit_nodeid`, the middle ellipsis) is tested
here directly, with Hypothesis for its promises; the rest drives the dashboard on real pytest
runs as `tests/test_ui_pilot.py` does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from tests.helpers import DASHBOARD_PROJECT, settled, wait_until, write_project
from zenboard.ui.launcher import make_app
from zenboard.ui.render import ELLIPSIS, fit_nodeid, split_nodeid
from zenboard.ui.widgets.tests_list import TestsList

DEEP = "tests/integration/isolation/test_isolation_leak.py"


# The middle ellipsis (pure)


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (69, f"{DEEP}::test_leak[gw1-db]"),  # fits: as it is
        (68, "tests/…/isolation/test_isolation_leak.py::test_leak[gw1-db]"),
        (50, "tests/…/test_isolation_leak.py::test_leak[gw1-db]"),
        (43, "…/test_isolation_leak.py::test_leak[gw1-db]"),
        (30, "test_…ak.py::test_leak[gw1-db]"),  # then the file name's middle
        (26, "tes….py::test_leak[gw1-db]"),
        (25, "…::test_leak[gw1-db]"),  # a path in fewer cells than 7 says nothing
        (17, "test_leak[gw1-db]"),  # nothing else left: the function and its parameters
        (16, "test_leak[gw…db]"),  # then the parameters' middle: their end stays
        (2, "…]"),
        (1, "…"),
        (0, ""),
    ],
)
def test_a_deep_parametrized_id_loses_its_path_first(width: int, expected: str) -> None:
    assert fit_nodeid(f"{DEEP}::test_leak[gw1-db]", width) == expected


def test_two_parametrized_ids_stay_apart_while_their_names_fit() -> None:
    """From `len("test_leak[gw1-db]")` up, whatever the path's length: the name is kept whole."""
    for width in range(17, 80):
        one = fit_nodeid(f"{DEEP}::test_leak[gw0-db]", width)
        two = fit_nodeid(f"{DEEP}::test_leak[gw1-db]", width)
        assert one != two, width


@pytest.mark.parametrize(
    ("nodeid", "parts"),
    [
        ("tests/a/test_x.py::test_y", ("tests/a/test_x.py", "test_y")),
        ("t.py::TestK::test_y[1]", ("t.py::TestK", "test_y[1]")),
        ("t.py::test_y[a::b/c[d]]", ("t.py", "test_y[a::b/c[d]]")),  # parameters hold anything
        ("tests/test_x.py", ("tests/test_x.py", "")),  # a file (a collection error)
    ],
)
def test_split_nodeid_finds_the_test_s_own_name(nodeid: str, parts: tuple[str, str]) -> None:
    assert split_nodeid(nodeid) == parts


def test_a_long_function_keeps_its_start_and_its_parameters_end() -> None:
    shown = fit_nodeid("t.py::test_a_very_long_function_name[param-one]", 20)
    assert cell_len(shown) <= 20 and shown.startswith("test_a") and shown.endswith("one]")


def test_wide_characters_are_counted_as_two_cells() -> None:
    shown = fit_nodeid("テスト/テスト/テスト.py::テスト[テスト]", 20)
    assert cell_len(shown) <= 20 and shown.endswith("::テスト[テスト]")


segment = st.text(st.characters(exclude_characters="/:["), min_size=1, max_size=12)
nodeids = st.builds(
    lambda dirs, file, classes, name, params: (
        "/".join([*dirs, f"{file}.py"])
        + "".join(f"::{c}" for c in classes)
        + f"::{name}"
        + (f"[{params}]" if params is not None else "")
    ),
    st.lists(segment, max_size=4),
    segment,
    st.lists(segment, max_size=2),
    segment,
    st.none() | st.text(max_size=20),
)
"""pytest's shape: directories, a file, classes, the test function, parameters (any text)."""


@given(st.text(max_size=60), st.integers(min_value=0, max_value=80))
def test_fit_nodeid_never_exceeds_the_width_and_keeps_what_fits(text: str, width: int) -> None:
    shown = fit_nodeid(text, width)
    assert cell_len(shown) <= width
    if cell_len(text) <= width:
        assert shown == text


@given(nodeids, st.integers(min_value=0, max_value=80))
def test_the_last_part_stays_whole_whenever_it_fits(nodeid: str, width: int) -> None:
    name = split_nodeid(nodeid)[1]
    shown = fit_nodeid(nodeid, width)
    assert cell_len(shown) <= width
    if cell_len(nodeid) <= width:
        assert shown == nodeid
    elif cell_len(name) <= width and width > 0:  # (a zero-width name "fits" in no cells)
        assert shown.endswith(name)
        assert shown == name or shown.startswith(ELLIPSIS) or ELLIPSIS in shown[: -len(name)]
    elif width >= 2 and nodeid.endswith("]") and "[" in name:
        assert shown.endswith("]")  # the parameters' end stays visible


# On screen, on real runs

LEAK = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "iso"
        args = ["-p", "no:cacheprovider"]
        workers = 0
    """,
    f"{DEEP}": """
        import pytest

        @pytest.mark.parametrize("lane", ["gw0-db", "gw1-db"])
        def test_leak(lane):
            assert lane == "alone", "leak"
    """,
}
WIDTHS = [(80, 24), (160, 45), (220, 60)]


def rows(table: TestsList) -> list[str]:
    """The rows as drawn, below the column titles."""
    return [table.render_line(y).text for y in range(1, table.row_count + 1)]


@pytest.mark.slow
@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}cols" for w, _ in WIDTHS])
async def test_failure_rows_differing_only_in_parameters_read_differently(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    project = write_project(tmp_path / "leak", LEAK)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 2, "the failures' rows")
        one, two = rows(table)
        assert one != two
        assert "test_leak[gw0-db]" in one and "test_leak[gw1-db]" in two
        assert "AssertionError" in one  # the reason keeps its column
        if size[0] >= 220:  # room for everything: nothing is cut
            assert f"{DEEP}::test_leak[gw0-db]" in one and "AssertionError: leak" in one
            assert ELLIPSIS not in one + two


DEEPER = "tests/integration/deep/dir/test_isolation_leak.py"
DEEP_LEAK = {
    "pyproject.toml": LEAK["pyproject.toml"],
    DEEPER: """
        import pytest

        @pytest.mark.parametrize("case", ["case-alpha", "case-beta", "case-gamma"])
        def test_isolation_leak_between_workers(case):
            assert case == "case-gamma", f"leaked state in {case}"
    """,
}
CASES = ("case-alpha", "case-beta", "case-gamma")


def shown_paths(table: TestsList) -> list[str]:
    """What each row shows of its test's path: all of it, a middle-cut part, or nothing."""
    paths = []
    for row, case in zip(rows(table), CASES, strict=False):
        name = f"test_isolation_leak_between_workers[{case}]"
        found = re.search(r"(\S*)" + re.escape(name) + r"( |$)", row)
        assert found, (name, row)  # the function and its parameters, whole
        paths.append(found.group(1))
    return paths


@pytest.mark.slow
async def test_a_deep_path_goes_first_at_every_width_and_comes_back_with_room(
    tmp_path: Path,
) -> None:
    """One real run, the dashboard resized 160 -> 80 -> 220 -> 160 columns: the failures (and
    with a filter every test) keep function and parameters; the path shows as much as the
    column holds, its middle cut first; what a width shows does not depend on the way there."""
    project = write_project(tmp_path / "deep", DEEP_LEAK)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 2, "the failures' rows")
        for text in ("", "case-"):  # the failures, then every test of the file
            if text:
                await pilot.press("slash", *text, "enter")
                assert table.row_count == 3
            seen: dict[int, list[str]] = {}
            for width, height in ((160, 45), (80, 24), (220, 60), (160, 45)):
                await pilot.resize_terminal(width, height)
                for _ in range(3):
                    await pilot.pause(0.05)
                paths = shown_paths(table)
                assert len(set(rows(table))) == table.row_count
                for path in paths:
                    whole = f"{DEEPER}::"
                    assert path in ("", ELLIPSIS, whole) or (
                        ELLIPSIS in path and path.endswith("::") and path[0] in "t" + ELLIPSIS
                    ), path
                assert seen.setdefault(width, paths) == paths  # as the first time at this width
            assert len(seen[80][0]) <= len(seen[160][0]) < len(seen[220][0])


ORDER = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "alpha"
        args = ["tests/test_alpha.py", "-p", "no:cacheprovider"]
        workers = 0

        [[tool.zenboard.suites]]
        name = "beta"
        args = ["tests/test_beta.py", "-p", "no:cacheprovider"]
        workers = 0
    """,
    "tests/test_alpha.py": """
        import time
        from pathlib import Path

        RUNS = Path(__file__).resolve().parent.parent / "runs.txt"

        def test_one_fails_first():  # by name it sorts last of alpha's failures: by time, first
            time.sleep(1.0)  # beta's failure comes in before alpha's
            assert False, "first"

        def test_fixed_on_rerun():
            run = int(RUNS.read_text()) + 1 if RUNS.exists() else 1
            RUNS.write_text(str(run))
            assert run > 1, "fails the first time only"

        def test_passes():
            pass

        def test_last():
            assert False, "last"
    """,
    "tests/test_beta.py": """
        def test_beta():
            assert False, "beta"
    """,
}
FIRST = ("alpha", "tests/test_alpha.py::test_one_fails_first")
FIXED = ("alpha", "tests/test_alpha.py::test_fixed_on_rerun")
LAST = ("alpha", "tests/test_alpha.py::test_last")
BETA = ("beta", "tests/test_beta.py::test_beta")


@pytest.mark.slow
async def test_failures_keep_their_order_through_reruns_and_a_filter(tmp_path: Path) -> None:
    project = write_project(tmp_path / "order", ORDER)
    app = make_app(project, run_at_start=True)
    alpha = app.session.state.suites["alpha"]
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 4, "the failures' rows")
        # Suites in configuration order, then the time each test first failed.
        assert table.row_keys() == [FIRST, FIXED, LAST, BETA]

        await pilot.press("f")  # the first card (alpha): rerun its failures
        await wait_until(pilot, lambda: settled(app) and alpha.runs == 2, "the rerun")
        await wait_until(pilot, lambda: table.row_count == 3, "the fixed test to leave")
        assert table.row_keys() == [FIRST, LAST, BETA]  # what failed again kept its place

        await pilot.press("tab")  # the list: the cursor is on the first failure
        assert table.has_focus and table.selected() == FIRST
        await pilot.press("t")  # rerun this test alone (it fails again)
        await wait_until(pilot, lambda: settled(app) and alpha.runs == 3, "the test's rerun")
        await pilot.pause(0.3)  # the list paints on the app's own timer
        assert table.row_keys() == [FIRST, LAST, BETA]
        assert table.selected() == FIRST

        await pilot.press("slash", *"test_", "enter")
        assert table.filter == "test_" and table.row_count == 5
        await pilot.press("slash", *["backspace"] * 5, "enter")  # an empty filter: failures
        assert table.filter == ""
        assert table.row_keys() == [FIRST, LAST, BETA]


@pytest.mark.slow
async def test_escape_clears_an_applied_filter(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", DASHBOARD_PROJECT)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 2, "the failures' rows")
        failures = table.row_keys()
        await pilot.press("slash", *"test_ok", "enter")
        assert table.has_focus and table.filter == "test_ok" and table.row_count == 6
        assert "tests matching 'test_ok': 6" in str(table.border_title)
        await pilot.press("escape")
        assert table.filter == "" and table.row_keys() == failures
        assert str(table.border_title) == "failures: 2"
        await pilot.press("escape")  # no filter: escape changes nothing here, as before
        assert table.has_focus and table.row_keys() == failures and app.is_running
