#!/usr/bin/env bash
# System packages the tests need from apt: Debian's Chromium (Playwright cannot download its own
# browsers here; the e2e suites run /usr/bin/chromium through `executablePath`) and tmux.
# Idempotent and quiet: installs only what is missing, prints one line when it does.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
        echo "system-deps.sh: missing ${missing[*]} and not root (install them with apt-get)" >&2
        exit 1
    fi
else
    SUDO=()
fi
echo "system-deps.sh: installing ${missing[*]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "system-deps.sh: apt-get could not install ${missing[*]}" >&2
    exit 1
fi
