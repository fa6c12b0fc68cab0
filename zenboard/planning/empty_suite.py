"""The line that says why a run exits 5: a suite run whole selected no test.

The usual cause is a typo in a marker expression (`-m unitt`), so the line names the suite's
arguments and the markers the project's tests actually carry, from one plain collection.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from zenboard.config import SuiteConfig
from zenboard.engine.commands.pytest import interpreter
from zenboard.planning.inventory import take_inventory


def explain_empty(suites: Sequence[SuiteConfig]) -> list[str]:
    """One line per suite, e.g. `suite unit selected no tests (-m unitt); markers in use: api`.

    The markers are those of the tests plain pytest collects where the suite runs (its `cwd`,
    with the configuration found there), one collection per directory.
    """
    in_use: dict[tuple[str, Path], str] = {}
    lines = []
    for suite in suites:
        key = (interpreter(suite), Path(suite.cwd))
        if key not in in_use:
            found = take_inventory(key[0], key[1])
            if found.error:
                in_use[key] = f"markers in use: unknown ({found.error})"
            else:
                markers = found.markers_in_use()
                in_use[key] = f"markers in use: {', '.join(markers) if markers else 'none'}"
        lines.append(
            f"suite {suite.name} selected no tests ({shlex.join(suite.args) or 'no args'}); "
            f"{in_use[key]} (allow_empty = true accepts this)"
        )
    return lines
