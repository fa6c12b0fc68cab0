"""Sub-commands of `zenboard`: each module has NAME, HELP, add_arguments(parser) and run(args).

Modules here import only what parsing needs at top level; heavy imports happen inside `run`.
"""

from __future__ import annotations

COMMANDS: tuple[str, ...] = (
    "run",
    "init",
    "audit",
    "demo",
    "launch",
    "ports",
    "status",
    "compose_template",
    "watch",
    "history",
    "verify",
    "compare",
    "merge",
    "durations",
)
