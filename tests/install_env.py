"""zenboard installed the way a user installs it, for test_install.py and test_getting_started.py.

Once per test session, as docs/getting-started.md says: `python -m build` makes the sdist and,
from it, the wheel; `python -m venv` makes a new venv in a new project directory (`.venv`, where
the page puts it); that venv's own pip installs the wheel with its dependencies, from the package
index as a user's would. No `--system-site-packages` and no path back to this checkout: a file
missing from the wheel or a dependency missing from its metadata shows. The venv is shared by
both test modules (it is the slow part); each installs what it tests into it first.

Commands run with this checkout out of sight: another working directory, no PYTHONPATH, none of
this test session's pytest variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GETTING_STARTED = REPO / "docs" / "getting-started.md"
PIP_TIMEOUT = 900
"""A pip install from a cold cache over a slow network; it normally takes seconds."""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    project: Path
    """A new, empty project directory: `your-project` of docs/getting-started.md."""
    venv: Path
    """`project/.venv`, made by `python -m venv`, the wheel installed into it by its own pip."""
    wheel_install: subprocess.CompletedProcess[str]

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def clean_env(venv: Path | None = None) -> dict[str, str]:
    """This environment without what points at this checkout or this pytest session; with
    `venv`, as `source venv/bin/activate` leaves it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}
        and not key.startswith(("PYTEST_", "ZENBOARD_"))
    }
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(
    argv: list[str | Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def shown(done: subprocess.CompletedProcess[str]) -> str:
    """A finished command for an assertion message: its arguments, exit code and output."""
    args = done.args if isinstance(done.args, str) else " ".join(map(str, done.args))
    return f"$ {args}\nexit {done.returncode}\n{done.stdout}{done.stderr}"


_installed: Installed | None = None


def installed(factory: pytest.TempPathFactory) -> Installed:
    """The session's wheel and the venv it is installed in (made on first use)."""
    global _installed
    if _installed is None:
        _installed = _install(factory)
    return _installed


def _install(factory: pytest.TempPathFactory) -> Installed:
    try:
        import build  # noqa: F401  # the `dev` extra has it: scripts/setup-venv.sh
    except ImportError:
        pytest.fail(f"`build` is not installed in {sys.prefix}: bash scripts/setup-venv.sh")
    dist = factory.mktemp("dist")
    built = run([sys.executable, "-m", "build", "--outdir", dist, REPO], cwd=dist, timeout=600)
    assert built.returncode == 0, shown(built)
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == 1, shown(built)
    assert len(sdists) == 1, shown(built)

    project = factory.mktemp("install") / "your-project"
    project.mkdir()
    venv = project / ".venv"
    made = run([sys.executable, "-m", "venv", venv], cwd=project)
    assert made.returncode == 0, shown(made)
    wheel_install = run(
        [venv / "bin" / "pip", "install", "--progress-bar", "off", wheels[0]],
        cwd=project,
        env=clean_env(venv),
        timeout=PIP_TIMEOUT,
    )
    assert wheel_install.returncode == 0, shown(wheel_install)
    return Installed(wheels[0], sdists[0], project, venv, wheel_install)


def skip_under_pytest_8() -> None:
    """The venv gets the same zenboard and the same pytest whichever pytest runs this session,
    so the second pass of scripts/test.sh (pytest 8) would only repeat the first's installs."""
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.skip("installs run in the pytest 9 pass only (the installed venv is the same)")
