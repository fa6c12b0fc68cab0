"""Container health against a real Docker engine (scripts/docker-up.sh starts one).

Containers carry Compose's labels so zenboard finds them as Compose-started ones; every test
uses its own project label and removes what it started. Waits are bounded (they only stop a
broken test from hanging) and nothing asserts how fast anything happened: bench/ does that.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import docker, docker_image, wait_for
from zenboard.tasks.containers import ContainerSnapshot, ExpectedPorts
from zenboard.tasks.docker_watch import ContainerWatcher, probe

pytestmark = [pytest.mark.docker, pytest.mark.slow]  # starts processes: not in the fast tier
RUN_LABEL = f"zenboard.test-run={uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def image() -> Iterator[str]:
    """A running engine and the local busybox image; what the tests started is removed after."""
    yield docker_image()
    ids = docker("ps", "-aq", "--filter", f"label={RUN_LABEL}", check=False).split()
    if ids:
        docker("rm", "-f", *ids, check=False)


@pytest.fixture
def project(image: str) -> Iterator[str]:
    name = f"zbtest-{uuid.uuid4().hex[:10]}"
    yield name
    ids = docker(
        "ps", "-aq", "--filter", f"label=com.docker.compose.project={name}", check=False
    ).split()
    if ids:
        docker("rm", "-f", *ids, check=False)


def _start(
    image: str,
    project: str,
    service: str,
    *command: str,
    options: tuple[str, ...] = (),
    host: str | None = None,
) -> str:
    return docker(
        "run",
        "-d",
        "--label",
        f"com.docker.compose.project={project}",
        "--label",
        f"com.docker.compose.service={service}",
        "--label",
        RUN_LABEL,
        *options,
        image,
        *command,
        host=host,
    )


def _inspect(container: str, host: str | None = None) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(docker("inspect", container, host=host))
    return data[0]


def _health(container: str) -> str:
    state = _inspect(container)["State"]
    return str((state.get("Health") or {}).get("Status", "none"))


def _docker_says(container: str) -> dict[str, Any]:
    """What `docker inspect` and `docker port` report, in the terms of zenboard's view."""
    data = _inspect(container)
    health = data["State"].get("Health") or {}
    log = health.get("Log") or []
    published = sorted(
        int(line.rsplit(":", 1)[1]) for line in docker("port", container).splitlines() if line
    )
    return {
        "name": data["Name"].lstrip("/"),
        "service": data["Config"]["Labels"]["com.docker.compose.service"],
        "state": data["State"]["Status"],
        "health": health.get("Status", "none"),
        "failing_streak": health.get("FailingStreak", 0),
        "last_health_output": (log[-1]["Output"].strip() if log else ""),
        "restarts": data["RestartCount"],
        "exit_code": data["State"]["ExitCode"],
        "published": published if data["State"]["Running"] else [],
    }


def _zenboard_says(snapshot: ContainerSnapshot, container: str) -> dict[str, Any]:
    [view] = [c for c in snapshot.containers if c.id.startswith(container[:12])]
    return {
        "name": view.name,
        "service": view.service,
        "state": view.state,
        "health": view.health,
        "failing_streak": view.failing_streak,
        "last_health_output": view.last_health_output,
        "restarts": view.restarts,
        "exit_code": view.exit_code,
        "published": sorted(p.host_port for p in view.ports) if view.state == "running" else [],
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_zenboard_view_equals_docker_inspect(image: str, project: str) -> None:
    web_port, api_port, wrong_port = _free_port(), _free_port(), _free_port()
    expected = ExpectedPorts({"web": 80, "api": 8080}, {"web": web_port, "api": api_port})
    healthy = _start(
        image,
        project,
        "web",
        "httpd",
        "-f",
        "-p",
        "80",
        options=(
            "-p",
            f"127.0.0.1:{web_port}:80",
            "--health-cmd",
            "wget -q -O /dev/null http://127.0.0.1:80/",
            "--health-interval",
            "1s",
        ),
    )
    failing = _start(
        image,
        project,
        "api",
        "httpd",
        "-f",
        "-p",
        "8080",
        options=(
            "-p",
            f"127.0.0.1:{wrong_port}:8080",
            "--health-cmd",
            "echo boom; exit 1",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ),
    )
    starting = _start(
        image,
        project,
        "slow",
        "sleep",
        "300",
        options=("--health-cmd", "true", "--health-interval", "1h", "--health-start-period", "1h"),
    )
    crashing = _start(
        image, project, "job", "sh", "-c", "exit 3", options=("--restart", "on-failure:2")
    )
    wait_for(lambda: _health(healthy) == "healthy", "web healthy", interval=0.2)
    wait_for(lambda: _health(failing) == "unhealthy", "api unhealthy", interval=0.2)
    wait_for(
        lambda: (
            _inspect(crashing)["RestartCount"] == 2
            and _inspect(crashing)["State"]["Status"] == "exited"
        ),
        "job restarted twice and exited",
        interval=0.2,
    )

    for container in (healthy, failing, starting, crashing):
        for attempt in range(5):  # the failing check ticks every second: re-read on a tick
            seen = _zenboard_says(probe(project, expected), container)
            truth = _docker_says(container)
            if seen == truth or attempt == 4:
                assert seen == truth
                break

    views = {v.service: v for v in probe(project, expected).containers}
    assert (views["web"].health, views["web"].ports_ok) == ("healthy", True)
    assert (views["api"].health, views["api"].ports_ok) == ("unhealthy", False)
    assert views["api"].last_health_output == "boom" and views["api"].failing_streak >= 1
    assert views["slow"].health == "starting"
    assert (views["job"].state, views["job"].exit_code, views["job"].restarts) == ("exited", 3, 2)
    assert views["job"].health == "none"
    # no port assigned and none of the task's published: nothing to compare, not a mismatch
    assert (views["slow"].ports_ok, views["job"].ports_ok) == (None, None)
    assert {c.service for c in probe(project, expected).problems()} == {"api", "job"}


def test_health_flip_arrives_through_the_event_stream(image: str, project: str) -> None:
    flipper = _start(
        image,
        project,
        "db",
        "sleep",
        "300",
        options=(
            "--health-cmd",
            "test -f /tmp/ok",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ),
    )
    # Polling every hour: a change seen within the bounds below came from the event stream.
    with ContainerWatcher(project, poll_interval=3600, retry_interval=0.2) as watcher:

        def health_is(status: str) -> Callable[[ContainerSnapshot], bool]:
            return lambda s: [c.health for c in s.containers] == [status]

        assert watcher.wait_for(health_is("unhealthy"), timeout=60) is not None
        docker("exec", flipper, "touch", "/tmp/ok")
        assert watcher.wait_for(health_is("healthy"), timeout=60) is not None
        docker("exec", flipper, "rm", "/tmp/ok")
        snapshot = watcher.wait_for(health_is("unhealthy"), timeout=60)
        assert snapshot is not None and snapshot.docker.available
        assert watcher.last_event_ns > 0
        docker("rm", "-f", flipper)
        assert watcher.wait_for(lambda s: s.containers == (), timeout=60) is not None


def test_status_command_reports_ports_and_health(image: str, project: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.zenboard.ports]\nservices = { web = 80, api = 8080 }\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "ZENFLOW_TASK_ID"},
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }

    def zenboard(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zenboard", *args, "--task", project],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    ports = json.loads(zenboard("ports", "--json").stdout)["ports"]
    web = _start(
        image,
        project,
        "web",
        "httpd",
        "-f",
        "-p",
        "80",
        options=("-p", f"{ports['web']}:80", "--health-cmd", "true", "--health-interval", "1s"),
    )
    wait_for(lambda: _health(web) == "healthy", "web healthy", interval=0.2)
    ok = zenboard("status", "--json", "--check")
    assert ok.returncode == 0, ok.stderr
    status = json.loads(ok.stdout)
    assert status["docker"] == {"available": True, "reason": ""}
    assert status["compose_project"] == project and status["ports"] == ports
    [container] = status["containers"]
    assert {k: container[k] for k in ("service", "state", "health", "restarts", "ports_ok")} == {
        "service": "web",
        "state": "running",
        "health": "healthy",
        "restarts": 0,
        "ports_ok": True,
    }
    assert json.loads(zenboard("ports", "--json").stdout)["port_states"]["web"] == "task"

    _start(image, project, "worker", "sleep", "300")  # a service the task assigns no port
    status = json.loads(zenboard("status", "--json").stdout)
    worker = next(c for c in status["containers"] if c["service"] == "worker")
    assert worker["ports_ok"] is None and worker["ports"] == []
    line = next(
        ln for ln in zenboard("status").stdout.splitlines() if ln.strip().startswith("worker")
    )
    assert "ports=-" in line and "NOT the assigned ports" not in line

    bad = _start(
        image,
        project,
        "api",
        "sleep",
        "300",
        options=("--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1"),
    )
    wait_for(lambda: _health(bad) == "unhealthy", "api unhealthy", interval=0.2)
    assert zenboard("status", "--check").returncode == 1
    assert zenboard("status").returncode == 0

    gone = zenboard("status", "--json", "--check", DOCKER_HOST=f"unix://{tmp_path}/no.sock")
    # --check cannot check: exit 1 with the reason (a fault is shown, never a pass); the JSON is still printed.
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
    assert gone.stderr.startswith("status --check: cannot check: docker unavailable:")
    assert zenboard("status", "--json", DOCKER_HOST=f"unix://{tmp_path}/no.sock").returncode == 0
    report = json.loads(gone.stdout)
    assert report["docker"]["available"] is False
    assert "no Docker daemon socket" in report["docker"]["reason"]
    text = zenboard("status", DOCKER_HOST=f"unix://{tmp_path}/no.sock").stdout
    assert "docker unavailable: no Docker daemon socket" in text


class _OwnDaemon:
    """A second dockerd of the tests' own, so stopping it leaves everyone else's alone.

    It gets its own sockets, directories and bridge interface: a dockerd started with
    `--bridge none` deletes `docker0`, which breaks the main daemon's port publishing.
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        self.host = f"unix://{base}/docker.sock"
        self.bridge = f"zbd{base.name[-8:]}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "dockerd",
                "--host",
                self.host,
                "--data-root",
                str(self.base / "data"),
                "--exec-root",
                str(self.base / "exec"),
                "--pidfile",
                str(self.base / "docker.pid"),
                "--bridge",
                self.bridge,
                "--iptables=false",
                "--ip-masq=false",
                "--ip6tables=false",
                "--shutdown-timeout",
                "1",
            ],
            stdout=(self.base / "dockerd.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: (
                subprocess.run(
                    ["docker", "-H", self.host, "info"], capture_output=True, timeout=60
                ).returncode
                == 0
            ),
            "the second dockerd",
            interval=0.2,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=60)
        self.proc = None


@pytest.fixture
def own_daemon(image: str) -> Iterator[_OwnDaemon]:
    if os.geteuid() != 0:
        pytest.skip("a second dockerd of the tests' own needs root")
    base = Path(f"/tmp/zbd-{uuid.uuid4().hex[:8]}")  # short: unix socket paths are limited
    base.mkdir()
    daemon = _OwnDaemon(base)
    subprocess.run(
        ["ip", "link", "add", "name", daemon.bridge, "type", "bridge"], check=True, timeout=60
    )
    try:
        yield daemon
    finally:
        if daemon.proc is None:
            daemon.start()  # to remove what it holds
        for cid in docker("ps", "-aq", host=daemon.host, check=False).split():
            docker("rm", "-f", cid, host=daemon.host, check=False)
        daemon.stop()
        subprocess.run(["ip", "link", "del", daemon.bridge], check=False, timeout=60)
        subprocess.run(["rm", "-rf", str(base)], check=False, timeout=120)


def test_daemon_that_goes_away_is_reported_and_recovered(
    own_daemon: _OwnDaemon, project: str
) -> None:
    own_daemon.start()
    busybox = shutil.which("busybox") or "/bin/busybox"
    tar = subprocess.run(
        [
            "sh",
            "-c",
            f"d=$(mktemp -d) && mkdir $d/bin && cp {busybox} $d/bin/ && "
            f"ln -s busybox $d/bin/sh && ln -s busybox $d/bin/sleep && tar -C $d -c . && rm -rf $d",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    subprocess.run(
        ["docker", "-H", own_daemon.host, "import", "-", "zb-own:1"],
        input=tar,
        capture_output=True,
        check=True,
        timeout=120,
    )
    _start(
        "zb-own:1",
        project,
        "worker",
        "sleep",
        "300",
        options=("--network", "none"),
        host=own_daemon.host,
    )
    with ContainerWatcher(project, host=own_daemon.host, retry_interval=0.2) as watcher:
        running = watcher.wait_for(lambda s: [c.state for c in s.containers] == ["running"], 60)
        assert running is not None and running.docker.available

        own_daemon.stop()
        down = watcher.wait_for(lambda s: not s.docker.available, 60)
        assert down is not None
        assert down.docker.reason and down.containers == ()
        gone = probe(project, ExpectedPorts(), host=own_daemon.host)
        assert not gone.docker.available and gone.docker.reason

        own_daemon.start()
        back = watcher.wait_for(lambda s: s.docker.available and len(s.containers) == 1, 60)
        assert back is not None
        assert back.containers[0].state == "exited"  # the daemon stopped it on the way down
