#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv with zenboard and its dev tools.
# Installs Debian's python3-venv first when this machine's Python cannot make a venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
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
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv 2>/dev/null || { rm -rf .venv; need_apt python3-venv; "$PYTHON" -m venv .venv; }
fi
stamp=.venv/.zenboard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import zenboard, textual, xdist, pytest_jsonreport, docker, watchfiles" 
    touch "$stamp"
fi
# Bytecode for zenboard itself (an editable install has none, and PYTHONDONTWRITEBYTECODE may be
# set): every pytest process of every suite imports the plugin.
.venv/bin/python -m compileall -q zenboard >/dev/null || true
