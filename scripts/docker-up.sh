#!/usr/bin/env bash
# Get a working Docker engine and a tiny local image on a fresh Debian machine.
#
# Why: zenboard's container tests use a real engine, and no image registry is reachable, so the
# image is built locally from busybox-static with `docker import`. Idempotent: safe to run twice,
# and when a daemon is already running it only checks the image. Says what it does before each
# long step ("==> ...", scripts/progress.sh); apt's output goes to a log, shown on failure.
#
#   bash scripts/docker-up.sh          # prints the image name on its last line
#
# Environment: ZENBOARD_DOCKER_IMAGE (default zenboard-busybox:latest),
#              ZENBOARD_DOCKER_WAIT (seconds to wait for the daemon, default 60),
#              ZENBOARD_DOCKERD_LOG (default /tmp/zenboard-dockerd.log).
set -euo pipefail
exec 3>&1 1>&2  # stdout is for the image name alone: everything else goes to stderr
source "$(dirname "$0")/progress.sh"

IMAGE="${ZENBOARD_DOCKER_IMAGE:-zenboard-busybox:latest}"
WAIT="${ZENBOARD_DOCKER_WAIT:-60}"
LOG="${ZENBOARD_DOCKERD_LOG:-/tmp/zenboard-dockerd.log}"
SOCK=/var/run/docker.sock

die() { echo "docker-up: error: $*" >&2; exit 1; }

daemon_answers() { docker info >/dev/null 2>&1; }

apt_install() { apt-get update && apt-get install -y "$@"; }

install_missing() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v docker >/dev/null 2>&1 || missing+=(docker.io)
    [ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)  # the tests' second daemon's bridge
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]} and not root: install them or run as root"
    # shellcheck disable=SC2207
    missing=($(printf '%s\n' "${missing[@]}" | sort -u))
    step "apt-get install ${missing[*]} (the Docker engine; about a minute the first time)"
    export DEBIAN_FRONTEND=noninteractive
    quietly '^(Get:[0-9]+|Setting up) ' apt_install "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
}

start_daemon() {
    daemon_answers && return 0
    if ! pgrep -x dockerd >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || die "no Docker daemon answers and not root: cannot start dockerd"
        step "starting dockerd (log: $LOG; waits up to ${WAIT} s for it to answer)"
        # setsid: the daemon outlives this script and the shell that ran it.
        setsid dockerd >"$LOG" 2>&1 </dev/null 3>&- &
    else
        step "waiting for dockerd: it is running but does not answer yet (up to ${WAIT} s)"
    fi
    local waited=0 start=$SECONDS
    until [ -S "$SOCK" ] && daemon_answers; do
        if [ "$waited" -ge $((WAIT * 2)) ]; then
            echo "docker-up: last lines of $LOG:" >&2
            tail -n 15 "$LOG" >&2 2>/dev/null || true
            die "the Docker daemon did not answer on $SOCK within ${WAIT}s"
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    note "dockerd answers (after $((SECONDS - start)) s)"
}

# A daemon whose default bridge interface was deleted under it (e.g. by another dockerd started
# with `--bridge none`) answers but cannot start containers with ports: restart it once.
bridge_missing() {
    command -v ip >/dev/null 2>&1 || return 1
    local name
    name="$(docker network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null)" || return 1
    [ -n "$name" ] && ! ip link show "$name" >/dev/null 2>&1
}

heal_bridge() {
    bridge_missing || return 0
    [ "$(id -u)" -eq 0 ] || die "the daemon's bridge interface is gone; restart dockerd as root"
    local pid
    pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    [ -n "$pid" ] || die "the daemon's bridge interface is gone and /var/run/docker.pid is missing"
    step "restarting dockerd (pid $pid): the daemon's bridge interface is gone"
    kill "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        [ "$waited" -ge $((WAIT * 2)) ] && die "dockerd (pid $pid) did not stop within ${WAIT}s"
        sleep 0.5
        waited=$((waited + 1))
    done
    start_daemon
    ! bridge_missing || die "the daemon's bridge interface is still missing after a restart"
}

build_image() {
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    local busybox root
    busybox="$(command -v busybox || echo /bin/busybox)"
    root="$(mktemp -d /tmp/zenboard-busybox-root.XXXXXX)"
    mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    local tool
    for tool in sh ash sleep httpd wget nc true false cat echo ls rm touch test mkdir \
                ps kill env grep sed printf date id hostname uname seq head tail; do
        ln -sf busybox "$root/bin/$tool"
    done
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    echo "zenboard" >"$root/www/index.html"
    step "building the image $IMAGE from $busybox (docker import)"
    tar -C "$root" -c . | docker import \
        --change 'ENV PATH=/bin' --change 'WORKDIR /www' --change 'CMD ["/bin/sh"]' \
        - "$IMAGE" >/dev/null || { rm -rf "$root"; die "docker import of $IMAGE failed"; }
    rm -rf "$root"
}

install_missing
start_daemon
heal_bridge
build_image
echo "$IMAGE" >&3
