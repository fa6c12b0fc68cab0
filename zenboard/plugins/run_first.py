"""A pytest plugin that runs some tests first: watch mode's "previously failed tests first".

Loaded only into the first phase of a watch rerun (`-p zenboard.plugins.run_first`), which
runs without xdist, so collection order is execution order. pytest runs a test twice when it is
named both on its own and through its file, so the failed tests cannot simply be listed before
the files; instead this hook moves them to the front (stably: the rest keep their order).
"""

from __future__ import annotations

import os

import pytest

from zenboard.wire import ENV_RUN_FIRST


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wanted = [n for n in os.environ.get(ENV_RUN_FIRST, "").split("\n") if n]
    if not wanted:
        return
    rank = {nodeid: i for i, nodeid in enumerate(wanted)}
    last = len(rank)
    items.sort(key=lambda item: rank.get(item.nodeid, last))
