"""Installing what a Playwright suite needs from npm, for `zenboard demo`'s own copy.

`zenboard demo` copies the demo project without `node_modules` (never committed, never
shipped); when Node is present it installs the e2e suite's packages from the shipped lock file
into the copy, so the demo's e2e suite runs out of the box. Without Node, or when npm fails, the
suite is left as it is and shows as unavailable with the reason; the other suites run anyway.
npm takes seconds, longer on a cold cache: it is announced before it starts (`say`), and its
own output is kept, never shown, but for its last line when it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

NPM_TIMEOUT = 600
CHROMIUM_DEFAULT = "/usr/bin/chromium"


def has_playwright(frontend: Path) -> bool:
    return (frontend / "node_modules" / "@playwright" / "test" / "cli.js").is_file()


def _silent(line: str) -> None:
    pass


def install_npm_packages(frontend: Path, say: Callable[[str], None] = _silent) -> str:
    """Install `frontend`'s npm packages (lock file: `npm ci`); "" on success, else why not.

    `say` gets a line before npm starts ("==> npm ci ...") and one when it is done.
    """
    if has_playwright(frontend):
        return ""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "Node.js and npm are not installed"
    lock = (frontend / "package-lock.json").is_file()
    argv = ["npm", "ci" if lock else "install", "--no-audit", "--no-fund", "--prefer-offline"]
    say(
        f"==> {argv[0]} {argv[1]} in {frontend} for the demo's e2e suite "
        "(@playwright/test; seconds, up to a minute on a cold npm cache)"
    )
    start = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            cwd=frontend,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{' '.join(argv)}` failed: {exc}"
    if done.returncode != 0 or not has_playwright(frontend):
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        return f"`{' '.join(argv)}` failed: {lines[-1] if lines else done.returncode}"
    say(f"    done in {time.monotonic() - start:.0f} s")
    return ""


def chromium_missing() -> str:
    """Why the demo's config will not find Chromium, or "" when it is there."""
    path = os.environ.get("CHROMIUM_PATH") or CHROMIUM_DEFAULT
    if Path(path).exists():
        return ""
    return f"Chromium is not installed at {path} (apt-get install chromium, or set CHROMIUM_PATH)"


def prepare_demo_e2e(project: Path, say: Callable[[str], None] = _silent) -> list[str]:
    """Get the demo copy's e2e suite ready; the lines to tell the user (empty when all is well).

    `say` is told about a long step before it starts (npm), as it happens.
    """
    frontend = project / "frontend"
    if not frontend.is_dir():
        return []
    reason = install_npm_packages(frontend, say) or chromium_missing()
    return [f"demo: suite e2e unavailable: {reason}"] if reason else []
