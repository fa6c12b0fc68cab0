"""Real Node, real @playwright/test, real Chromium for the Playwright tests.

The npm packages are installed once into a git-ignored cache (`.zenboard-cache/` in the
repository) from the demo's own lock file, under a file lock so concurrent test runs share one
install; test projects link their `node_modules` to it. Only a missing Node skips (with the
reason); a missing Chromium or a failing npm install fails, since CI must provide both.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from zenboard.commands.demo import DEMO_SOURCE

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".zenboard-cache"
FRONTEND = DEMO_SOURCE / "frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def node_modules() -> Path:
    """The cached `node_modules` with the demo's pinned @playwright/test (installed once)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed: the Playwright tests need them")
    assert Path(CHROMIUM).exists(), f"Chromium missing at {CHROMIUM}: run scripts/system-deps.sh"
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/@playwright/test"]["version"]
    target = CACHE / f"playwright-{version}"
    CACHE.mkdir(exist_ok=True)
    with (CACHE / "install.lock").open("a+") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not (target / "node_modules" / "@playwright" / "test" / "cli.js").is_file():
            target.mkdir(parents=True, exist_ok=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copy(FRONTEND / name, target / name)
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return target / "node_modules"


def link_modules(frontend: Path, modules: Path) -> None:
    frontend.mkdir(parents=True, exist_ok=True)
    link = frontend / "node_modules"
    if not link.exists():
        link.symlink_to(modules, target_is_directory=True)


def playwright_config(workers: int = 2, retries: int = 0, extra: str = "") -> str:
    return textwrap.dedent(f"""
        const {{ defineConfig }} = require('@playwright/test');
        module.exports = defineConfig({{
          testDir: './tests',
          fullyParallel: true,
          workers: {workers},
          retries: {retries},
          reporter: 'list',
          timeout: 20000,
          expect: {{ timeout: 3000 }},
          {extra}
          use: {{ launchOptions: {{ executablePath: {json.dumps(CHROMIUM)}, args: {json.dumps(CHROMIUM_ARGS)} }} }},
        }});
    """).lstrip()


def one_spec_project(root: Path, suite_keys: str, spec_name: str, spec: str) -> Path:
    """A project with one Playwright suite `e2e` (one worker, `suite_keys` added) whose
    `frontend/tests/` holds `spec`, its packages linked in: ready for `zenboard run`."""
    from tests.helpers import suites_toml, write_project

    modules = node_modules()
    keys = f'name = "e2e"\nkind = "playwright"\ncwd = "frontend"\nworkers = 1\n{suite_keys}'
    project = write_project(
        root,
        {
            "pyproject.toml": suites_toml(keys),
            "frontend/playwright.config.js": playwright_config(workers=1),
            f"frontend/tests/{spec_name}": spec,
        },
    )
    link_modules(project / "frontend", modules)
    return project
