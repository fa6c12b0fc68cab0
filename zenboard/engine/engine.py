"""The engine: several suites at once, each a `SuiteRun`; cancel and rerun by suite or test.

It owns no state beyond the live processes: results live in the model, which the consumer
builds from the events the engine puts into its `EventBuffer`.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.engine.buffer import EventBuffer
from zenboard.engine.command import build_pytest_command, check_interpreter
from zenboard.engine.suite_run import SuiteRun

DEFAULT_REPORT_DIR = Path(".zenboard/reports/latest")


class Engine:
    def __init__(
        self,
        config: ProjectConfig,
        buffer: EventBuffer,
        report_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.buffer = buffer
        self.report_dir = (report_dir or config.root / DEFAULT_REPORT_DIR).resolve()
        self.extra_env = dict(extra_env or {})
        self._runs: dict[str, SuiteRun] = {}
        self._lock = threading.Lock()
        self._scratch = Path(tempfile.mkdtemp(prefix="zenboard-"))  # 0700 by mkdtemp

    def check(self, suites: tuple[SuiteConfig, ...]) -> None:
        """Refuse bad input (exit 2) before anything starts."""
        checked: set[str | None] = set()
        for suite in suites:
            if suite.python not in checked:
                check_interpreter(suite)
                checked.add(suite.python)

    def start(
        self, suite: SuiteConfig, nodeids: tuple[str, ...] = (), rootdir: str = ""
    ) -> SuiteRun:
        """Start `suite` (cancelling a run of it already in flight); only `nodeids` if given."""
        self.cancel(suite.name)
        self.report_dir.mkdir(parents=True, exist_ok=True)
        command = build_pytest_command(
            suite,
            self.report_dir / f"{suite.name}.json",
            nodeids,
            rootdir,
            self._scratch,
            self.extra_env,
        )
        run = SuiteRun(suite.name, command, self.buffer.extend, nodeids)
        with self._lock:
            self._runs[suite.name] = run
        run.start()
        return run

    def start_all(self, suites: tuple[SuiteConfig, ...]) -> list[SuiteRun]:
        return [self.start(s) for s in suites]

    def run(self, name: str) -> SuiteRun | None:
        with self._lock:
            return self._runs.get(name)

    def running(self) -> list[str]:
        with self._lock:
            return [name for name, run in self._runs.items() if not run.done.is_set()]

    def cancel(self, name: str) -> None:
        run = self.run(name)
        if run is not None:
            run.cancel()
            run.done.wait(10)

    def cancel_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        threads = [threading.Thread(target=r.cancel) for r in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in runs:
            r.done.wait(10)

    def all_done(self) -> bool:
        with self._lock:
            return all(run.done.is_set() for run in self._runs.values())
