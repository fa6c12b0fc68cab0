"""A pytest plugin that runs each selected test N times: `zenboard run --repeat N NODEID...`.

pytest keeps one item per node id (a node id named twice on the command line runs once), so
each repetition is an item of its own, `<test>@repeat<k>`, made after every other plugin has
selected the items (a hook wrapper): xdist then hands the repetitions out over its workers like
any other tests. Only plain test functions (`pytest.Function`) repeat; other items (doctests,
unittest cases) run once.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from zenboard.wire import ENV_REPEAT, REPEAT_MARK


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None, None, None]:
    yield
    text = os.environ.get(ENV_REPEAT, "")
    count = int(text) if text.isdigit() else 1
    if count < 2:
        return
    repeated: list[pytest.Item] = []
    for item in items:
        if type(item) is not pytest.Function:
            repeated.append(item)
            continue
        repeated += [_repetition(item, k) for k in range(1, count + 1)]
    items[:] = repeated


def _repetition(item: pytest.Function, k: int) -> pytest.Function:
    callspec = getattr(item, "callspec", None)
    return pytest.Function.from_parent(
        item.parent,
        name=f"{item.name}{REPEAT_MARK}{k}",
        callspec=callspec,
        callobj=item.obj,
        fixtureinfo=item._fixtureinfo,
        keywords=dict(item.keywords),
        originalname=f"{item.originalname}{REPEAT_MARK}{k}",  # pytest 9's node id uses it
    )
