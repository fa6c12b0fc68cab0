"""The line that says why a run exits 5: a suite run whole selected no test.

The usual cause is a typo in a marker expression (`-m unitt`), so the line names the suite's
arguments and the markers the project's tests actually carry, from one plain collection.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.engine.commands.pytest import interpreter
from zenboard.planning.inventory import take_inventory


def explain_empty(config: ProjectConfig, suites: Sequence[SuiteConfig]) -> list[str]:
    """One line per suite, e.g. `suite unit selected no tests (-m unitt); markers in use: api`."""
    if not suites:
        return []
    found = take_inventory(interpreter(suites[0]), config.root)
    if found.error:
        in_use = f"markers in use: unknown ({found.error})"
    else:
        markers = found.markers_in_use()
        in_use = f"markers in use: {', '.join(markers) if markers else 'none'}"
    return [
        f"suite {suite.name} selected no tests ({shlex.join(suite.args) or 'no args'}); {in_use}"
        + " (allow_empty = true accepts this)"
        for suite in suites
    ]
