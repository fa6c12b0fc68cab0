#!/usr/bin/env bash
# System packages from apt: Debian's Chromium (Playwright cannot download its own browsers here;
# the e2e suites run /usr/bin/chromium through `executablePath`), tmux (the tests) and the
# PostgreSQL server (the shared-history tests start a throwaway cluster from its binaries).
#   bash scripts/system-deps.sh              chromium, tmux and postgresql (scripts/test.sh)
#   bash scripts/system-deps.sh chromium     only Chromium (scripts/demo.sh: the demo's e2e suite)
# Idempotent: installs only what is missing, silent when nothing is. Says what it installs
# before it starts (scripts/progress.sh); apt's output goes to a log, shown on failure.
set -euo pipefail
source "$(dirname "$0")/progress.sh"

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(chromium tmux postgresql)
present() {
    case $1 in  # Debian keeps the server's binaries off PATH, per major version
        postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}
missing=()
for package in "${wanted[@]}"; do
    present "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
        echo "system-deps.sh: missing ${missing[*]} and not root (install them with apt-get)" >&2
        exit 1
    fi
else
    SUDO=()
fi
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
step "apt-get install ${missing[*]} (Debian packages; about a minute the first time)"
apt_install() {
    "${SUDO[@]}" apt-get update && "${SUDO[@]}" apt-get install -y --no-install-recommends "$@"
}
quietly '^(Get:[0-9]+|Setting up) ' apt_install "${missing[@]}" \
    || { echo "system-deps.sh: apt-get could not install ${missing[*]}" >&2; exit 1; }
