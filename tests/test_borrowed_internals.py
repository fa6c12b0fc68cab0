"""The private internals zenboard borrows from its dependencies are still there.

zenboard reads a few things no dependency promises (pyproject.toml bounds each such dependency
below its next major version). When an upgrade removes one, the feature built on it degrades
quietly (a lane's queue, a record's fast path): this test fails loudly instead, naming what is
gone and where zenboard uses it.
"""

from __future__ import annotations

import atexit
import inspect
import threading

import pytest
import pytest_jsonreport.plugin as json_report
import textual.scrollbar as textual_scrollbar
import textual.widgets._footer as textual_footer
import xdist.dsession as xdist_dsession
import xdist.scheduler as xdist_scheduler


def _in_source(owner: object, name: str) -> bool:
    return name in inspect.getsource(owner)  # type: ignore[arg-type]


BORROWED = [
    (
        "xdist DSession.worker_logstart (the lane's current test, plugins/events.py)",
        lambda: hasattr(xdist_dsession.DSession, "worker_logstart"),
    ),
    *(
        (
            f"xdist {scheduler}.node2pending (a lane's queue, plugins/events.py)",
            lambda scheduler=scheduler: _in_source(
                getattr(xdist_scheduler, scheduler), "node2pending"
            ),
        )
        # loadscope/loadfile/loadgroup keep no per-node queue: lanes there show no queue length
        for scheduler in ("LoadScheduling", "WorkStealingScheduling")
    ),
    (
        "pytest-json-report JSONReport._json_tests (records handed over, plugins/events.py)",
        lambda: _in_source(json_report.JSONReport, "_json_tests"),
    ),
    (
        "Textual Footer.bindings_changed (ui/widgets/keys_footer.py)",
        lambda: callable(getattr(textual_footer.Footer, "bindings_changed", None)),
    ),
    (
        "Textual ScrollBar.window_virtual_size/window_size (ui/widgets/line_view.py)",
        lambda: all(
            hasattr(textual_scrollbar.ScrollBar, name)
            for name in ("window_virtual_size", "window_size")
        ),
    ),
    (
        "CPython threading._shutdown (cli.leave_now's quick exit, the warm server's child exit)",
        lambda: callable(getattr(threading, "_shutdown", None)),
    ),
    (
        "CPython atexit._run_exitfuncs (cli.leave_now's quick exit, the warm server's child exit)",
        lambda: callable(getattr(atexit, "_run_exitfuncs", None)),
    ),
]


@pytest.mark.parametrize(("what", "present"), BORROWED, ids=[b[0].split(" (")[0] for b in BORROWED])
def test_a_borrowed_internal_is_still_there(what: str, present: object) -> None:
    assert present(), f"gone after an upgrade: {what}"  # type: ignore[operator]
