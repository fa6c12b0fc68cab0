"""How a `kind = "playwright"` suite becomes a command line and an environment.

The command is what `npx playwright test` runs after npx has found the project's own
Playwright: `node <cwd>/node_modules/@playwright/test/cli.js test ...` (why not npx: see
docs/architecture.md, "Playwright without npx"). zenboard's reporter goes in with
`--add-reporter`, on top of the reporters the project configures, together with Playwright's
`json` reporter, whose file (`PLAYWRIGHT_JSON_OUTPUT_FILE`) is the suite's `<suite>.json`.

A suite that cannot run here (no Node.js, no @playwright/test in the suite's directory, a
Playwright too old for `--add-reporter`) gets a command with `unavailable` set: the engine shows
the reason on the suite instead of starting anything.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from zenboard import safefs
from zenboard.config import SuiteConfig, inherited_environment
from zenboard.engine.commands.suite_command import SuiteCommand
from zenboard.errors import InputError
from zenboard.wire import ENV_E2E_PORTS_ERROR, ENV_PLAYWRIGHT_FIXTURES, ENV_PYTHON

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "playwright"
REPORTER = PACKAGE_DIR / "reporter.cjs"
FIXTURES = PACKAGE_DIR / "fixtures.cjs"
SEPARATOR = " \u203a "
"""Between the parts of a `--test-list` line (Playwright's own, so titles may hold '>')."""
MIN_VERSION = (1, 63)
"""`--add-reporter` (reporters next to the configured ones) appeared in Playwright 1.63."""


def find_playwright(cwd: Path) -> Path | None:
    """`@playwright/test`'s package directory as Node would resolve it from `cwd`."""
    for directory in (cwd, *cwd.parents):
        candidate = directory / "node_modules" / "@playwright" / "test"
        if (candidate / "cli.js").is_file():
            return candidate
    return None


def playwright_version(package: Path) -> tuple[int, ...]:
    try:
        raw = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        return tuple(int(p) for p in str(raw).split("-")[0].split(".")[:3])
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def unavailable_reason(suite: SuiteConfig, env: dict[str, str]) -> str:
    """Why `suite` cannot run on this machine, or "" when it can."""
    if shutil.which("node", path=env.get("PATH")) is None:
        return "Node.js is not installed (no `node` on PATH); the suite needs Node 18+"
    package = find_playwright(suite.cwd)
    if package is None:
        return f"@playwright/test is not installed in {suite.cwd} (run `npm install` there)"
    version = playwright_version(package)
    if version[:2] < MIN_VERSION:
        found = ".".join(map(str, version)) or "unknown"
        need = ".".join(map(str, MIN_VERSION))
        return f"@playwright/test {found} in {package} is too old for zenboard (needs {need}+)"
    return ""


def selection_lines(nodeid: str) -> list[str]:
    """`--test-list` lines selecting the test of `nodeid` (`file::describe::title[project]`).

    A trailing `[name]` is a project when the suite has several; a title may end in brackets
    too, so both readings are listed (each selects only a test that has that exact title path).
    """
    file, _, rest = nodeid.partition("::")
    titles = [t for t in rest.split("::") if t] if rest else []
    lines = [SEPARATOR.join([file, *titles])]
    if titles and titles[-1].endswith("]") and "[" in titles[-1]:
        title, _, project = titles[-1][:-1].rpartition("[")
        lines.append(SEPARATOR.join([f"[{project}]", file, *titles[:-1], title]))
    return lines


def playwright_options(suite: SuiteConfig) -> list[str]:
    """The options of `playwright test` that come from the suite's configuration."""
    options: list[str] = []
    if isinstance(suite.workers, int):
        options.append(f"--workers={max(1, suite.workers)}")
    elif suite.workers != "auto":  # "$PYTEST_WORKERS", in a preview (the engine resolves it)
        options.append(f"--workers={suite.workers}")
    options += [f"--project={p}" for p in suite.project]
    if suite.grep:
        options.append(f"--grep={suite.grep}")
    if suite.retries:  # else Playwright's own `retries` setting stands
        options.append(f"--retries={suite.retries}")
    if suite.timeout is not None:  # Playwright's own per-test timeout, in milliseconds
        options.append(f"--timeout={round(suite.timeout * 1000)}")
    return [*options, *suite.args]


def build_playwright_command(
    suite: SuiteConfig,
    report_file: Path,
    nodeids: tuple[str, ...] = (),
    scratch: Callable[[], Path] | None = None,
    extra_env: dict[str, str] | None = None,
    project_root: Path | None = None,
) -> SuiteCommand:
    """The Playwright command for `suite`, optionally restricted to `nodeids`.

    Args:
        suite: The suite's configuration.
        report_file: Where Playwright's JSON report goes (`PLAYWRIGHT_JSON_OUTPUT_FILE`).
        nodeids: Run only these tests (ids as the report names them); empty runs the suite.
        scratch: Makes (once) and returns the run's private scratch dir, which gets the
            `--test-list` file (None: the report file's directory).
        extra_env: Variables for the suite's environment (the task's ports, say); the suite's
            own `env` wins over them.
        project_root: The project's root, where the port registry is found (None: the
            suite's directory).
    """
    env = {**inherited_environment(), **(extra_env or {}), **suite.env}
    reason = unavailable_reason(suite, env)
    if reason:
        return SuiteCommand((), suite.cwd, env, report_file, unavailable=reason, tool="playwright")
    package = find_playwright(suite.cwd)
    assert package is not None
    node = shutil.which("node", path=env.get("PATH")) or "node"
    argv: list[str] = [node, str(package / "cli.js"), "test", *playwright_options(suite)]
    if nodeids:
        lines = [line for n in nodeids for line in selection_lines(n)]
        listing = (scratch() if scratch else report_file.parent) / f"{suite.name}-tests.txt"
        safefs.write_atomic(listing, "\n".join(lines) + "\n")
        argv.append(f"--test-list={listing}")
    if "," in str(REPORTER):  # --add-reporter splits on commas: use Playwright's own variable
        env["PW_TEST_REPORTER"] = str(REPORTER)
        argv.append("--add-reporter=json")
    else:
        argv.append(f"--add-reporter={REPORTER},json")
    env["PLAYWRIGHT_JSON_OUTPUT_FILE"] = str(report_file)
    env[ENV_PLAYWRIGHT_FIXTURES] = str(FIXTURES)
    env[ENV_PYTHON] = sys.executable
    env.pop("PLAYWRIGHT_JSON_OUTPUT_NAME", None)
    env.update(_worker_ports(suite, project_root or suite.cwd, env))
    return SuiteCommand(tuple(argv), suite.cwd, env, report_file, tool="playwright")


def _worker_ports(suite: SuiteConfig, root: Path, env: dict[str, str]) -> dict[str, str]:
    """`ZENBOARD_E2E_PORTS` from the port registry. A registry fault must not stop the suite:
    the fixture then falls back to a port the OS picks, and the fault is passed on for it to
    print (`ZENBOARD_E2E_PORTS_ERROR`)."""
    from zenboard.tasks.e2e_ports import claim_worker_ports, ports_env

    try:
        return ports_env(claim_worker_ports(root, suite.workers, env))
    except InputError as exc:
        return {ENV_E2E_PORTS_ERROR: str(exc)}
