#!/usr/bin/env bash
# The main job: set up zenboard in .venv and open the dashboard on the bundled demo project.
# Extra arguments go to `zenboard demo` (e.g. --headless, --dir DIR).
#
# Set-up first, each step announced before it starts ("==> ...", scripts/progress.sh): .venv
# (python3 -m venv, pip install -e .[dev]), Debian's Chromium for the demo's e2e suite (apt-get,
# when root or sudo allows; without it that suite shows as unavailable and the rest runs), a
# Docker engine for the demo's services (scripts/docker-up.sh: a running one is used as it is;
# as root it installs and starts one, as scripts/test.sh does) with Compose v2 beside it
# (scripts/compose-up.sh); without them the dashboard says `docker unavailable: <reason>` and
# every suite that needs no service runs. Then `zenboard demo`, which copies the demo and runs
# npm for its e2e suite, saying so, before the dashboard opens; its services start with the
# dashboard, and it takes them down when it quits.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh

bash scripts/setup-venv.sh
bash scripts/system-deps.sh chromium \
    || echo "demo.sh: no Chromium: the demo's e2e suite will show as unavailable" >&2
step "a Docker engine and Compose for the demo's services (scripts/docker-up.sh, scripts/compose-up.sh)"
if bash scripts/docker-up.sh >/dev/null; then
    bash scripts/compose-up.sh .venv >/dev/null \
        || echo "demo.sh: no Docker Compose v2: the demo's services stay down (the dashboard says why)" >&2
else
    echo "demo.sh: no Docker engine: the demo's services stay down; every other suite runs" >&2
fi
step "zenboard demo${*:+ $*}"
exec .venv/bin/zenboard demo "$@"
