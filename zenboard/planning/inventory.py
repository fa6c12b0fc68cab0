"""What a project's tests are, and which of the project's own markers each carries.

`init` builds suites from marker families, `audit` checks that suites cover every test once,
and an empty suite's message names the markers in use: all three need the tests as pytest
collects them in the project's own interpreter, with their markers. Only the project's markers
count: pytest's own (`parametrize`, `skip`, ...) and those plugins register (`asyncio`,
`django_db`, ...) say how a test runs, not which family it belongs to.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zenboard.wire import ENV_EVENTS

COLLECT_TIMEOUT = 300

PYTEST_MARKERS = frozenset(
    {
        "parametrize",
        "skip",
        "skipif",
        "xfail",
        "usefixtures",
        "filterwarnings",
        "tryfirst",
        "trylast",
    }
)
"""pytest's own markers."""
PLUGIN_MARKERS = frozenset(
    {
        "asyncio",
        "anyio",
        "trio",
        "django_db",
        "urls",
        "ignore_template_errors",
        "timeout",
        "flaky",
        "benchmark",
        "order",
        "dependency",
        "xdist_group",
        "no_cover",
        "freeze_time",
        "vcr",
        "block_network",
        "httpx_mock",
        "respx",
        "celery",
        "forked",
        "repeat",
        "randomly_seed",
        "hypothesis",
        "snapshot",
        "mock",
        "env",
        "datafiles",
        "tornado",
        "gen_test",
        "qt_no_exception_capture",
        "qt_log_level_fail",
        "qt_log_ignore",
        "enable_socket",
        "allow_hosts",
    }
)
"""Markers of common plugins: excluded even where the plugin is not installed here."""

_SCRIPT = r"""
import json, os, sys, pytest
from _pytest.config import Config
out = sys.argv[1]
added = {}  # marker -> the file of the code that registered it (a plugin's, or a conftest's)
_addinivalue_line = Config.addinivalue_line

def addinivalue_line(self, name, line):
    if name == "markers":
        added.setdefault(marker_name(line), sys._getframe(1).f_code.co_filename)
    return _addinivalue_line(self, name, line)

Config.addinivalue_line = addinivalue_line

def marker_name(line):
    return line.split(":")[0].split("(")[0].strip()

class Inventory:
    def pytest_collection_finish(self, session):
        config = session.config
        root = str(config.rootpath) + os.sep
        # In registration order: the configuration file's lines first, then conftests'.
        registered = list(dict.fromkeys(
            marker_name(l) for l in config.getini("markers") if l.strip()))
        ours = [m for m in registered if m not in added  # the configuration file's
                or (os.path.abspath(added[m]).startswith(root)
                    and "site-packages" not in added[m])]
        data = {
            "rootdir": str(config.rootpath),
            "declared": ours,
            "foreign": sorted(set(registered) - set(ours)),
            "tests": [[i.nodeid, sorted({m.name for m in i.iter_markers()})]
                      for i in session.items],
        }
        with open(out, "w", encoding="utf-8") as f:
            json.dump(data, f)

args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *sys.argv[2:]]
# A project's `addopts = -n auto` must not start workers just to collect. xdist is looked up,
# not imported: a module imported before pytest cannot be assertion-rewritten, and pytest's
# warning about it is an error under the project's `filterwarnings = error`.
from importlib.util import find_spec
if find_spec("xdist") is not None:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "xdist.plugin"]
    args += ["-n", "0"]
sys.exit(pytest.main(args, plugins=[Inventory()]))
"""


@dataclass(frozen=True)
class Inventory:
    rootdir: str = ""
    tests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """nodeid -> the project's own markers on the test (sorted), in collection order."""
    declared: tuple[str, ...] = ()
    """Markers the project registers, in registration order: its configuration file's lines
    first, then those its conftest files add."""
    error: str = ""
    """Why collection failed (empty when it worked)."""

    def markers_in_use(self) -> list[str]:
        """The project's markers the tests carry, most used first."""
        return [name for name, _ in self.marker_counts()]

    def marker_counts(self) -> list[tuple[str, int]]:
        """The project's markers the tests carry and on how many tests, most used first."""
        return Counter(m for markers in self.tests.values() for m in markers).most_common()


def project_markers(used: Sequence[str], foreign: Sequence[str]) -> tuple[str, ...]:
    """`used` without pytest's markers and the plugins' (those registered by code outside the
    project, and common plugins' markers even where the plugin is not installed)."""
    return tuple(
        m for m in used if m not in PYTEST_MARKERS and m not in PLUGIN_MARKERS and m not in foreign
    )


def take_inventory(
    python: str,
    cwd: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Inventory:
    """Collect `args` (default: what plain `pytest` collects in `cwd`), in one process (`-n 0`
    where xdist is installed).

    Args:
        python: The interpreter to collect with.
        cwd: Where pytest runs (the project root).
        args: Extra pytest arguments (a suite's selection).
        env: The environment of the collection (None: this process's).
    """
    full_env = {**os.environ, **(env or {})}
    for key in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", ENV_EVENTS):
        full_env.pop(key, None)
    with tempfile.TemporaryDirectory(prefix="zenboard-inventory-") as scratch:
        out = Path(scratch) / "inventory.json"
        argv = [python, "-c", _SCRIPT, str(out), *args]
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=full_env,
                capture_output=True,
                text=True,
                timeout=COLLECT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Inventory(error=f"pytest did not run: {exc}")
        if done.returncode not in (0, 5) or not out.is_file():
            why = pytest_reason(done)
            return Inventory(error=f"collection failed (exit {done.returncode}): {why}")
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
            tests = {
                str(nodeid): project_markers(markers, data["foreign"])
                for nodeid, markers in data["tests"]
            }
            return Inventory(str(data["rootdir"]), tests, tuple(data["declared"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return Inventory(error=f"collection failed: unreadable inventory ({exc})")


def pytest_reason(done: subprocess.CompletedProcess[str]) -> str:
    """pytest's words for why: the first `ERROR <file>` of its short summary with the last
    exception line (`E   ModuleNotFoundError: ...`), else its last line."""
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR ")]
    raised = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors:
        return f"{errors[0]}: {raised[-1]}" if raised else errors[0]
    return lines[-1] if lines else "no output"
