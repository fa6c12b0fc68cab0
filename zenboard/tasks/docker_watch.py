"""All docker calls: a one-shot read (`probe`) and a live `ContainerWatcher`.

The watcher follows the daemon's event stream for the project's label (start, die,
health_status, and the exec_die of every health check, which is when the failing streak and
last output change), re-inspecting only the container an event names. Polling is the fallback
when the stream cannot be opened. When the daemon is missing or goes away the snapshot says
"docker unavailable: <reason>" and the thread keeps trying to reconnect; nothing raises into
the caller. The UI polls `snapshot()` from a timer (or passes `on_change`); `close()` ends the
thread by closing the blocking stream from outside.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from zenboard.tasks.containers import (
    PROJECT_LABEL,
    ContainerSnapshot,
    ContainerView,
    DockerStatus,
    ExpectedPorts,
    describe_error,
    view_from_inspect,
)
from zenboard.tasks.service_events import ServiceEventLog, from_docker

QUIET_ACTIONS = ("exec_create", "exec_start", "attach", "top", "resize", "export", "commit", "copy")


def default_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(host: str | None = None, timeout: float = 10.0) -> Any:
    """A docker SDK client for `host` that has answered a ping (raises when it cannot)."""
    import docker

    client = docker.DockerClient(base_url=host or default_host(), version="auto", timeout=timeout)
    try:
        client.ping()
    except BaseException:
        client.close()
        raise
    return client


def read_project(client: Any, project: str, expected: ExpectedPorts) -> dict[str, ContainerView]:
    """Every container (running or not) carrying the project's label, by id."""
    views: dict[str, ContainerView] = {}
    for summary in client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}):
        view = _inspect(client, summary["Id"], expected)
        if view is not None:
            views[view.id] = view
    return views


def _inspect(client: Any, container_id: str, expected: ExpectedPorts) -> ContainerView | None:
    import docker.errors

    try:
        return view_from_inspect(client.api.inspect_container(container_id), expected)
    except docker.errors.NotFound:
        return None


def probe(project: str, expected: ExpectedPorts, host: str | None = None) -> ContainerSnapshot:
    """The project's containers now, or why docker is unavailable (never raises)."""
    host = host or default_host()
    try:
        client = connect(host)
    except Exception as exc:
        return ContainerSnapshot(project, DockerStatus(False, describe_error(exc, host)))
    try:
        views = read_project(client, project, expected)
    except Exception as exc:
        return ContainerSnapshot(project, DockerStatus(False, describe_error(exc, host)))
    finally:
        client.close()
    return ContainerSnapshot(project, DockerStatus(True), _ordered(views))


def probe_many(
    projects: dict[str, ExpectedPorts], host: str | None = None
) -> dict[str, ContainerSnapshot]:
    """`probe` for several projects over one connection (`zenboard tasks`); never raises."""
    host = host or default_host()
    try:
        client = connect(host)
    except Exception as exc:
        down = DockerStatus(False, describe_error(exc, host))
        return {project: ContainerSnapshot(project, down) for project in projects}
    snapshots: dict[str, ContainerSnapshot] = {}
    try:
        for project, expected in projects.items():
            try:
                views = read_project(client, project, expected)
            except Exception as exc:
                down = DockerStatus(False, describe_error(exc, host))
                snapshots[project] = ContainerSnapshot(project, down)
            else:
                snapshots[project] = ContainerSnapshot(project, DockerStatus(True), _ordered(views))
    finally:
        client.close()
    return snapshots


def last_log_lines(container_id: str, count: int, host: str | None = None) -> list[str]:
    """The container's last `count` non-empty log lines (stdout and stderr); [] when unreadable.

    Untrusted text: the caller shows it with `textsafe.visible`.
    """
    host = host or default_host()
    try:
        client = connect(host)
    except Exception:
        return []
    try:
        raw = client.api.logs(container_id, stdout=True, stderr=True, tail=count * 4)
    except Exception:
        return []
    finally:
        client.close()
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return [line for line in text.splitlines() if line.strip()][-count:]


def _ordered(views: dict[str, ContainerView]) -> tuple[ContainerView, ...]:
    return tuple(sorted(views.values(), key=lambda v: (v.service, v.name)))


def stop_following(closed: threading.Event, stream: Any, thread: threading.Thread) -> None:
    """End a thread that follows a Docker stream (events, logs): flag it, close its stream so a
    blocked read returns, then wait for it. Closing a half-dead stream may fail; the thread
    ends anyway."""
    closed.set()
    if stream is not None:
        with contextlib.suppress(Exception):
            stream.close()
    if thread.is_alive():
        thread.join(timeout=5)


class ContainerWatcher:
    """Keeps a live ContainerSnapshot of one compose project in a background thread."""

    def __init__(
        self,
        project: str,
        expected: ExpectedPorts | None = None,
        *,
        host: str | None = None,
        poll_interval: float = 2.0,
        retry_interval: float = 1.0,
        on_change: Callable[[ContainerSnapshot], None] | None = None,
    ) -> None:
        """A watcher of the containers labelled with Compose project `project`; `start()` starts it.

        Args:
            project: The Compose project name the containers carry.
            expected: The task's port per service, to check the published ports against.
            host: The Docker host (None: `DOCKER_HOST` or the local socket).
            poll_interval: Seconds between inspections when the event stream cannot be opened.
            retry_interval: Seconds between attempts to reach the daemon again.
            on_change: Called with each new snapshot (on the watcher thread).
        """
        self.project = project
        self.expected = expected or ExpectedPorts()
        self.host = host or default_host()
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        self.on_change = on_change
        self._views: dict[str, ContainerView] = {}
        self._snapshot = ContainerSnapshot(project, DockerStatus(False, "connecting"))
        self._changed = threading.Condition()
        self._closed = threading.Event()
        self._stream: Any = None
        self._thread = threading.Thread(
            target=self._run, name=f"docker-watch-{project}", daemon=True
        )
        self.last_event_ns = 0
        """Daemon timestamp (ns) of the last event handled (for latency figures)."""
        self.events = ServiceEventLog()
        """What the containers did and when (health flips, restarts, exits): see
        `service_events`, for the window of a failing test."""

    def start(self) -> ContainerWatcher:
        self._thread.start()
        return self

    def snapshot(self) -> ContainerSnapshot:
        with self._changed:
            return self._snapshot

    def wait_for(
        self, predicate: Callable[[ContainerSnapshot], bool], timeout: float
    ) -> ContainerSnapshot | None:
        """Block until a snapshot satisfies `predicate` (None after `timeout` seconds)."""
        with self._changed:
            if self._changed.wait_for(lambda: predicate(self._snapshot), timeout):
                return self._snapshot
            return None

    def close(self) -> None:
        stop_following(self._closed, self._stream, self._thread)

    def __enter__(self) -> ContainerWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                client = connect(self.host)
            except Exception as exc:
                self._publish(DockerStatus(False, describe_error(exc, self.host)))
                self._closed.wait(self.retry_interval)
                continue
            try:
                self._follow(client)
                if self._closed.is_set():
                    return
                client.ping()  # the stream ended: reconnect at once if the daemon is still there
            except Exception as exc:
                if not self._closed.is_set():
                    self._publish(DockerStatus(False, describe_error(exc, self.host)))
                    self._closed.wait(self.retry_interval)
            finally:
                self._stream = None
                client.close()

    def _follow(self, client: Any) -> None:
        """Subscribe first, then read everything, so no change falls between the two."""
        filters = {"type": "container", "label": f"{PROJECT_LABEL}={self.project}"}
        try:
            stream: Iterator[dict[str, Any]] | None = client.events(decode=True, filters=filters)
        except Exception:
            stream = None
        self._stream = stream
        if self._closed.is_set():  # close() ran before the stream existed: it cannot close it
            if stream is not None:
                stream.close()  # type: ignore[attr-defined]
            return
        self._views = read_project(client, self.project, self.expected)
        self._publish(DockerStatus(True))
        if stream is None:
            while not self._closed.wait(self.poll_interval):
                self._views = read_project(client, self.project, self.expected)
                self._publish(DockerStatus(True))
            return
        for event in stream:
            if self._closed.is_set():
                return
            self._on_event(client, event)

    def _on_event(self, client: Any, event: dict[str, Any]) -> None:
        kept = from_docker(event)
        if kept is not None:
            self.events.add(kept)
        action = str(event.get("Action") or event.get("status") or "")
        container_id = str(event.get("id") or (event.get("Actor") or {}).get("ID") or "")
        if not container_id or action.startswith(QUIET_ACTIONS):
            return
        if action == "destroy":
            self._views.pop(container_id, None)
        else:
            view = _inspect(client, container_id, self.expected)
            if view is None:
                self._views.pop(container_id, None)
            else:
                self._views[container_id] = view
        self.last_event_ns = int(event.get("timeNano") or 0)
        self._publish(DockerStatus(True))

    def _publish(self, docker: DockerStatus) -> bool:
        """Replace the snapshot when something visible changed; True when it did."""
        containers = _ordered(self._views) if docker.available else ()
        with self._changed:
            old = self._snapshot
            if old.docker == docker and old.containers == containers:
                return False
            self._snapshot = ContainerSnapshot(self.project, docker, containers, old.version + 1)
            self._changed.notify_all()
            snapshot = self._snapshot
        if self.on_change is not None:
            self.on_change(snapshot)
        return True
