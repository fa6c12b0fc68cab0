#!/usr/bin/env bash
# Create (or refresh) one of the project's two virtualenvs with zenboard and one of its extras:
#   bash scripts/setup-venv.sh                           .venv, extra `dev`: pytest 9, ruff, mypy
#                                                        (scripts/demo.sh, test.sh's pass 1)
#   bash scripts/setup-venv.sh .venv-pytest8 snapshots   extra `snapshots`: pytest 8 and
#                                                        pytest-textual-snapshot (pass 2)
# A stamp file in the venv skips the install until pyproject.toml changes. Installs Debian's
# python3-venv first when this machine's Python cannot make a venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-.venv}
extra=${2:-dev}
case $extra in
    dev) pytest_major=9; what="pytest 9, ruff, mypy"; check="pytest_asyncio, hypothesis" ;;
    snapshots) pytest_major=8; what="pytest 8, pytest-textual-snapshot"
        check="pytest_asyncio, hypothesis, pytest_textual_snapshot" ;;
    *) echo "setup-venv: unknown extra '$extra' (dev or snapshots)" >&2; exit 2 ;;
esac

need_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup-venv: installing Debian's $* ..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
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
    "$PYTHON" -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; need_apt python3-venv; "$PYTHON" -m venv "$venv"; }
fi
py=$venv/bin/python
# The venv has what the extra needs, with the right pytest major (no pytest import: this runs
# before every demo).
has_pytest_major() {
    "$py" -c "import sys; from importlib.metadata import version
sys.exit(version('pytest').split('.')[0] != '$pytest_major')" 2>/dev/null
}
stamp=$venv/.zenboard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! has_pytest_major; then
    rm -f "$stamp"
    echo "setup-venv: installing zenboard[$extra] into $venv ($what) ..."
    "$py" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    if [ "$extra" = dev ] && "$py" -c 'import pytest_textual_snapshot' 2>/dev/null; then
        # A .venv from before the split: syrupy would hold pytest at 8 (or break under 9).
        echo "setup-venv: removing pytest-textual-snapshot and syrupy from $venv (they need pytest 8: the snapshot tests run in .venv-pytest8)"
        "$py" -m pip uninstall -q -y pytest-textual-snapshot syrupy 2>&1 | grep -v "^WARNING: Location" || true
    fi
    "$py" -m pip install -q --disable-pip-version-check -e ".[$extra]" 2>&1 | grep -v "^WARNING: Location" || true
    "$py" -c "import zenboard, textual, xdist, pytest_jsonreport, docker, watchfiles, $check"
    if ! has_pytest_major; then
        echo "setup-venv: $venv has pytest $("$py" -c 'import pytest; print(pytest.__version__)'), not pytest $pytest_major" >&2
        exit 1
    fi
    touch "$stamp"
    echo "setup-venv: $venv ready: $("$py" -m pytest --version 2>&1)"
fi
# Bytecode for zenboard itself (an editable install has none, and PYTHONDONTWRITEBYTECODE may be
# set): every pytest process of every suite imports the plugin.
"$py" -m compileall -q zenboard >/dev/null || true
