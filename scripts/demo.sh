#!/usr/bin/env bash
# The main job: set up zenboard in .venv and open the dashboard on the bundled demo project.
# Extra arguments go to `zenboard demo` (e.g. --headless, --dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
exec .venv/bin/zenboard demo "$@"
