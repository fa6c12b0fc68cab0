"""A pytest plugin that runs test files longest first, for zenboard's duration-aware plan.

zenboard adds `-p zenboard.plugins.file_order` to a suite's arguments and names a JSON
file of expected seconds per test file in `ZENBOARD_FILE_ORDER`. Reordering inside pytest costs
nothing, where passing the ordered test ids on the command line would first need a separate
collection run. xdist workers inherit the variable and sort the same way, so their collections
agree and the controller hands out the long files first. Files the plan does not know weigh the
median of those it knows; the order within a file is left as collected.
"""

from __future__ import annotations

import json
import os
import statistics

import pytest

from zenboard.wire import ENV_FILE_ORDER as ENV_VAR


def file_weights() -> dict[str, float] | None:
    path = os.environ.get(ENV_VAR)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, RecursionError):
        return None
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    weights = file_weights()
    if not weights:
        return
    fallback = statistics.median(weights.values())
    items.sort(key=lambda item: -weights.get(item.nodeid.partition("::")[0], fallback))
