#!/usr/bin/env bash
# Create (or refresh) one of the project's two virtualenvs with zenboard and one of its extras:
#   bash scripts/setup-venv.sh                           .venv, extra `dev`: pytest 9, ruff, mypy
#                                                        (scripts/demo.sh, test.sh's pass 1)
#   bash scripts/setup-venv.sh .venv-pytest8 snapshots   extra `snapshots`: pytest 8 and
#                                                        pytest-textual-snapshot (pass 2)
# A stamp file in the venv skips the install until pyproject.toml changes. Installs Debian's
# python3-venv first when this machine's Python cannot make a venv. Says what it does, a line
# per step before it starts (scripts/progress.sh): pip's output goes to a log, shown on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

venv=${1:-.venv}
extra=${2:-dev}
case $extra in
    dev) pytest_major=9; what="pytest 9, ruff, mypy, build"; check="pytest_asyncio, hypothesis, build" ;;
    snapshots) pytest_major=8; what="pytest 8, pytest-textual-snapshot"
        check="pytest_asyncio, hypothesis, pytest_textual_snapshot" ;;
    *) echo "setup-venv: unknown extra '$extra' (dev or snapshots)" >&2; exit 2 ;;
esac

apt_install() { apt-get update && apt-get install -y --no-install-recommends "$@"; }
need_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        step "apt-get install $* (this Python cannot make a venv without it)"
        export DEBIAN_FRONTEND=noninteractive
        quietly '^(Get:[0-9]+|Setting up) ' apt_install "$@"
    else
        echo "setup-venv: please install: $*" >&2
        exit 1
    fi
}

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup-venv: zenboard needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    step "creating $venv ($PYTHON -m venv)"
    if ! "$PYTHON" -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        need_apt python3-venv
        "$PYTHON" -m venv "$venv"
    fi
fi
py=$venv/bin/python
# The venv has what the extra needs, with the right pytest major (no pytest import: this runs
# before every demo).
has_pytest_major() {
    "$py" -c "import sys; from importlib.metadata import version
sys.exit(version('pytest').split('.')[0] != '$pytest_major')" 2>/dev/null
}
pip_install() {
    "$py" -m pip install --disable-pip-version-check --progress-bar off "$@"
}
stamp=$venv/.zenboard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! has_pytest_major; then
    rm -f "$stamp"
    step "pip install --upgrade pip in $venv"
    quietly '^(Collecting|Processing) ' pip_install --upgrade pip || true
    if [ "$extra" = dev ] && "$py" -c 'import pytest_textual_snapshot' 2>/dev/null; then
        # A .venv from before the split: syrupy would hold pytest at 8 (or break under 9).
        step "pip uninstall pytest-textual-snapshot syrupy from $venv (they need pytest 8: the snapshot tests run in .venv-pytest8)"
        quietly '' "$py" -m pip uninstall -y pytest-textual-snapshot syrupy
    fi
    step "pip install -e .[$extra] into $venv: zenboard and $what (about 40 s the first time)"
    quietly '^(Collecting|Obtaining|Processing) ' pip_install -e ".[$extra]"
    "$py" -c "import zenboard, textual, xdist, pytest_jsonreport, docker, watchfiles, $check"
    if ! has_pytest_major; then
        echo "setup-venv: $venv has pytest $("$py" -c 'import pytest; print(pytest.__version__)'), not pytest $pytest_major" >&2
        exit 1
    fi
    touch "$stamp"
    note "$venv ready: $("$py" -m pytest --version 2>&1)"
else
    step "$venv is up to date: zenboard[$extra], $("$py" -c 'from importlib.metadata import version; print("pytest", version("pytest"))')"
fi
# Bytecode for zenboard itself (an editable install has none, and PYTHONDONTWRITEBYTECODE may be
# set): every pytest process of every suite imports the plugin.
"$py" -m compileall -q zenboard >/dev/null || true
