#!/usr/bin/env bash
# The main job: set up zenboard in .venv and open the dashboard on the bundled demo project.
# Extra arguments go to `zenboard demo` (e.g. --headless, --dir DIR).
#
# Set-up first, each step announced before it starts ("==> ...", scripts/progress.sh): .venv
# (python3 -m venv, pip install -e .[dev]), Debian's Chromium for the demo's e2e suite (apt-get,
# when root or sudo allows; without it that suite shows as unavailable and the rest runs), then
# `zenboard demo`, which copies the demo and runs npm for its e2e suite, saying so, before the
# dashboard opens. The dashboard starts only once all of that is done.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

bash scripts/setup-venv.sh
bash scripts/system-deps.sh chromium \
    || echo "demo.sh: no Chromium: the demo's e2e suite will show as unavailable" >&2
step "zenboard demo${*:+ $*}"
exec .venv/bin/zenboard demo "$@"
