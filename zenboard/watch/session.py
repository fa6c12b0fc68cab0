"""Watch mode's controller: watchfiles in a thread, one `WatchTrigger` per quiet batch of changes.

The dashboard and the headless `zenboard watch` both own a `WatchSession`: `start()` checks the
watched paths, scans the import graph and starts the watcher thread; each batch of changes,
gathered until the tree has been quiet for the configured window, is filtered (names, then git),
mapped to the suites it affects and planned (failed first, then affected, then the rest), and
handed to `on_trigger` as plain data. The owner starts the runs (`Engine.start_phases`) on its
own thread and tells the session what each run found (`record`), which is how suites selected by
marker are mapped and how the failed tests are known. The session never touches the engine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.model.state import SuiteState
from zenboard.watch.ignore import GitIgnore, WatchFilter
from zenboard.watch.impact import ImportGraph, is_test_file
from zenboard.watch.plan import SuitePlan, SuiteRecord, phase_suite, plan_reruns
from zenboard.watch.settings import WatchSettings, load_watch_settings
from zenboard.words import plural

STEP_MS = 10
"""How often the watcher looks for new changes while gathering a batch: changes closer than this
(a save's write and rename, a branch switch) are one batch, handed over at once (leading edge)."""
MAX_GATHER_MS = 5_000
"""A tree that never goes quiet (a log written without pause) still triggers this often."""


@dataclass(frozen=True)
class WatchTrigger:
    """One rerun decision: which files changed, which suites rerun, and how."""

    files: tuple[str, ...]
    """Changed files, relative to the project root where possible, sorted."""
    suites: tuple[str, ...]
    plan: tuple[SuitePlan, ...]
    at: float
    """When the batch was handed over (time.time())."""

    def describe(self, shown: int = 3) -> str:
        """The headless line: `watch: 3 files changed (a.py, b.py, ...) -> rerun: unit, e2e`."""
        count = len(self.files)
        names = ", ".join(self.files[:shown]) + (", ..." if count > shown else "")
        chosen = ", ".join(self.suites) if self.suites else "nothing"
        return f"watch: {plural(count, 'file')} changed ({names}) -> rerun: {chosen}"

    def runs(
        self, suite_config: Callable[[str], SuiteConfig]
    ) -> list[tuple[list[tuple[SuiteConfig, tuple[str, ...]]], str]]:
        """What to start for this trigger: each suite's phases (`Engine.start_phases`) and its
        rootdir; `suite_config` gives the configuration a suite runs with, by name."""
        return [
            (
                [(phase_suite(suite_config(plan.suite), p), p.nodeids) for p in plan.phases],
                plan.rootdir,
            )
            for plan in self.plan
        ]


class WatchSession:
    """Watches the project in a thread and calls `on_trigger` once per batch of changes."""

    def __init__(
        self,
        config: ProjectConfig,
        on_trigger: Callable[[WatchTrigger], None],
        settings: WatchSettings | None = None,
        suites: Sequence[SuiteConfig] | None = None,
        ignore_paths: Sequence[Path] = (),
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """
        Args:
            config: The project's configuration.
            on_trigger: Called with each batch's `WatchTrigger`, in the watcher thread.
            settings: The watched paths, quiet window and ignore patterns (None: read from
                `config`'s `[tool.zenboard.watch]`).
            suites: The suites a change can rerun (None: all of `config`'s).
            ignore_paths: Absolute paths whose changes never count (the report dir, say).
            on_error: Called, in the watcher thread, with a fault's message: a batch that
                could not be mapped, or the watcher stopping (None: faults go unseen).
        """
        self.config = config
        self.settings = settings or load_watch_settings(config)
        self.suites = tuple(suites if suites is not None else config.suites)
        self._on_trigger = on_trigger
        self._on_error = on_error
        self._filter = WatchFilter(
            self.settings.paths, config.root, ignore_paths, self.settings.ignore
        )
        self._git = GitIgnore(config.root)
        self._graph = ImportGraph(config.root, self._skip_dir)
        self._records: dict[str, SuiteRecord] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        """Set once the watcher is armed: a change made after this is seen."""

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start watching (the import graph is scanned in the watcher thread, before it arms)."""
        if self.active:
            return
        self._stop.clear()
        self.ready.clear()
        self._thread = threading.Thread(target=self._watch, name="zenboard-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; returns once the watcher thread has ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def record(self, suite: SuiteState) -> None:
        """Remember what a suite's runs found (call it from the model's thread, on SuiteExited)."""
        outcomes = {nodeid: result.outcome for nodeid, result in suite.tests.items()}
        with self._lock:
            self._records[suite.name] = SuiteRecord(suite.rootdir, outcomes)

    def handle(self, changed: Iterable[str]) -> WatchTrigger | None:
        """Filter and map one batch of changed paths (absolute) into a trigger, or None."""
        candidates = sorted({p for p in changed if not self._filter.ignores(p)})
        ignored = self._git.ignored(candidates)
        # A directory's own change says nothing the changes of its files do not say.
        paths = {Path(p) for p in candidates if p not in ignored and not os.path.isdir(p)}
        if not paths:
            return None
        self._graph.update(paths)
        importers = self._graph.importers(paths)
        with self._lock:
            records = dict(self._records)
        known = set().union(*(r.test_files() for r in records.values())) if records else set()
        new_tests = {p for p in paths if is_test_file(p) and p.is_file() and p not in known}
        plans = plan_reruns(
            self.suites, paths, importers, records, new_tests, self.settings.run_rest
        )
        return WatchTrigger(
            files=tuple(sorted(self._display(p) for p in paths)),
            suites=tuple(p.suite for p in plans),
            plan=tuple(plans),
            at=time.time(),
        )

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.root).as_posix()
        except ValueError:
            return str(path)

    def _skip_dir(self, directory: Path) -> bool:
        return self._filter.ignores(str(directory))

    def _hand_over(self, batch: set[str]) -> None:
        try:
            trigger = self.handle(batch)
        except Exception as exc:  # one bad batch (an unreadable file, say) stops nothing
            if self._on_error is not None:
                self._on_error(f"could not map {plural(len(batch), 'changed file')}: {exc}")
            return
        if trigger is not None:
            self._on_trigger(trigger)

    def _watch(self) -> None:
        try:
            self._graph.scan()
            batches = Batcher(self.settings.quiet_ms, self.settings.leading)
            for changes in watchfiles.watch(
                *self.settings.paths,
                watch_filter=self._filter,
                debounce=MAX_GATHER_MS,
                step=min(STEP_MS, self.settings.quiet_ms),
                stop_event=self._stop,
                rust_timeout=self.settings.quiet_ms,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                self.ready.set()
                batch = batches.add({path for _, path in changes}, time.monotonic())
                if batch:
                    self._hand_over(batch)
        except Exception as exc:  # a fault of the watched tree is shown, never fatal
            if self._on_error is not None:
                self._on_error(f"watching stopped: {type(exc).__name__}: {exc}")
        finally:
            self.ready.set()


class Batcher:
    """Which changes make a batch, and when it is handed over (pure: the clock is passed in).

    The watcher yields changes once it has seen none for its step (20 ms): a burst written at
    once (a branch switch, a save's write and rename) is one yield. With `leading`, the first
    yield after a quiet spell is a batch at once; changes within `quiet_ms` of a batch are
    gathered until the tree has been quiet for `quiet_ms` (an empty yield), then are one more
    batch, without the files whose size and mtime did not change since the batch before (a
    save's second event). Without `leading`, every batch waits for the quiet window. A tree that
    never goes quiet is handed over every `MAX_GATHER_MS`.
    """

    def __init__(self, quiet_ms: int, leading: bool) -> None:
        self.quiet = quiet_ms / 1000
        self.leading = leading
        self.pending: set[str] = set()
        self.since = 0.0
        self.last = float("-inf")
        """When the last batch was handed over."""
        self._stamps: dict[str, tuple[int, int] | None] = {}

    def add(self, changes: set[str], now: float) -> set[str]:
        """Take one yield of the watcher (empty: it timed out, the tree was quiet); the batch to
        hand over now, or an empty set."""
        if changes:
            if self.leading and not self.pending and now - self.last >= self.quiet:
                return self._handed(changes, now)
            if not self.pending:
                self.since = now
            self.pending |= changes
            if (now - self.since) * 1000 < MAX_GATHER_MS:
                return set()  # wait until the tree has been quiet for the window
        if not self.pending:
            return set()
        batch, self.pending = self.pending, set()
        batch = {p for p in batch if p not in self._stamps or _stamp(p) != self._stamps[p]}
        return self._handed(batch, now) if batch else set()

    def _handed(self, batch: set[str], now: float) -> set[str]:
        self.last = now
        self._stamps = {p: _stamp(p) for p in batch} if self.leading else {}
        return batch


def _stamp(path: str) -> tuple[int, int] | None:
    """A file's size and mtime (None: gone), to tell a save's second event from a new change."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)
