#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, starts a Docker engine,
# runs the whole suite, then the plugin's fidelity tests again under pytest 9.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1

bash scripts/setup-venv.sh
if [ -f scripts/system-deps.sh ]; then bash scripts/system-deps.sh; fi
if [ -f scripts/docker-up.sh ]; then
    bash scripts/docker-up.sh || echo "test.sh: docker-up failed; Docker tests will say why they skip" >&2
fi

.venv/bin/ruff check zenboard tests
.venv/bin/mypy zenboard
.venv/bin/python -m pytest -p no:cacheprovider "$@"

# Second environment: the pytest plugin must work under pytest 9 too (dev tools pin pytest 8).
if [ ! -x .venv-pytest9/bin/python ]; then python3 -m venv .venv-pytest9; fi
if ! .venv-pytest9/bin/python -c 'import pytest, sys, zenboard; sys.exit(int(pytest.__version__.split(".")[0]) < 9)' 2>/dev/null; then
    .venv-pytest9/bin/python -m pip install -q --disable-pip-version-check -e . "pytest>=9,<10" 2>&1 | grep -v "^WARNING: Location" || true
fi
.venv-pytest9/bin/python -m pytest --version
.venv-pytest9/bin/python -m pytest -p no:cacheprovider -W ignore::pytest.PytestConfigWarning \
    tests/test_fidelity.py tests/test_faults.py tests/test_channel.py
