"""How a container's ports read in `status` and the containers panel (pure logic, no engine)."""

from __future__ import annotations

from typing import Any

from zenboard.tasks.containers import (
    ContainerSnapshot,
    DockerStatus,
    ExpectedPorts,
    view_from_inspect,
)
from zenboard.tasks.status import container_lines
from zenboard.ui.sources.infra import ContainerRow
from zenboard.ui.widgets.infra_panels import _cells

BOTH_FAMILIES = [{"HostIp": "0.0.0.0", "HostPort": "22171"}, {"HostIp": "::", "HostPort": "22171"}]
"""How Docker publishes one port: on IPv4 and on IPv6."""


def inspect_data(status: str, live: dict[str, Any]) -> dict[str, Any]:
    """`docker inspect` of a container publishing 5432 on 22171, as Docker shapes it."""
    return {
        "Id": "0123456789abcdef",
        "Name": "/zb-db-1",
        "Config": {"Labels": {"com.docker.compose.service": "db"}},
        "State": {"Status": status, "ExitCode": 0},
        "HostConfig": {"PortBindings": {"5432/tcp": [{"HostPort": "22171"}]}},
        "NetworkSettings": {"Ports": live},
    }


def test_a_port_docker_publishes_on_ipv4_and_ipv6_is_listed_once() -> None:
    live = {
        "5432/tcp": [
            {"HostIp": "0.0.0.0", "HostPort": "22171"},
            {"HostIp": "::", "HostPort": "22171"},
        ]
    }
    view = view_from_inspect(inspect_data("running", live), ExpectedPorts())
    assert len(view.ports) == 2  # both bindings stay in `status --json`
    (line,) = container_lines(ContainerSnapshot("zb", DockerStatus(True), (view,)))
    assert "ports=22171->5432 " in f"{line} " and "22171->5432,22171->5432" not in line


def test_a_stopped_containers_ports_read_as_nothing_to_check() -> None:
    running = _cells("db", ContainerRow("db", "running", "healthy", ports_ok=True))[-1]
    assert running.plain == "ports ok"
    for state in ("exited", "created", "dead"):
        stopped = _cells("db", ContainerRow("db", state, "unhealthy", ports_ok=True))[-1]
        assert stopped.plain == "ports —", state
