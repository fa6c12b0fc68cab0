"""Build and run the dashboard for a project, and make sure nothing outlives it.

Bad input (configuration, suite names, task id, an interpreter without pytest) is refused here,
before the terminal switches to the app, so it stays one line and exit code 2. Whatever way the
app ends (q, Ctrl+C, SIGTERM, a crash inside Textual), the `finally` and the atexit hook stop
every suite's process tree.
"""

from __future__ import annotations

import atexit
from pathlib import Path

from zenboard.config import Timeouts, load_config, with_retries, with_timeouts
from zenboard.tasks.identity import resolve_task
from zenboard.tasks.taskenv import has_tasks, prepare_task
from zenboard.ui.app import ZenboardApp
from zenboard.ui.session import Session
from zenboard.ui.sources.infra import InfraSource, StaticInfra


def make_app(
    project: Path,
    run_at_start: bool = True,
    suites: list[str] | None = None,
    task: str | None = None,
    report_dir: Path | None = None,
    infra: InfraSource | None = None,
    watch: bool = False,
    retries: int | None = None,
    timeouts: Timeouts | None = None,
    up: bool = False,
    events: Path | None = None,
    nice: int = 0,
) -> ZenboardApp:
    """The dashboard app for `project` (the CLI, the tests and the screenshot script use this).

    Args:
        project: The project directory (or a directory below it).
        run_at_start: Start the selected suites as soon as the app opens.
        suites: Names of the suites to show and run (None or empty: all).
        task: The task id (`--task`); None: found from the environment or the path.
        report_dir: Where reports are published (None: `.zenboard/reports`).
        infra: The ports and containers panels' source (None: the task's, if any).
        watch: Start watch mode when the app opens.
        retries: Every suite's `retries` (`--retries`); None keeps the configuration's.
        timeouts: `--timeout` and `--suite-timeout`, in place of every suite's own.
        up: Start the task's Compose services as the app opens (it makes the project a task).
        events: `--events FILE`: the session's events are appended there as JSON lines.
        nice: How much lower than the dashboard's the suites' CPU priority is (0: the same).
    """
    config = with_timeouts(with_retries(load_config(project), retries), timeouts)
    selected = config.select(suites or [])
    extra_env: dict[str, str] = {}
    if up or has_tasks(config, task):
        setup = prepare_task(config, task)
        task_id, extra_env = setup.task.id, dict(setup.env)
        if infra is None:
            from zenboard.ui.sources.task_infra import TaskInfra

            infra = TaskInfra(setup, config=config)
    else:
        task_id = resolve_task(config.root, task).id
    session = Session(
        config,
        selected,
        report_dir=report_dir.resolve() if report_dir else None,
        extra_env=extra_env,
        task=task_id,
        events=events.resolve() if events else None,
        suite_niceness=nice,
    )
    session.engine.check(selected)
    if watch:
        from zenboard.watch.settings import load_watch_settings

        load_watch_settings(config)  # bad watch settings: one line, exit 2, before the app opens
    session.open_feed()
    return ZenboardApp(
        session,
        run_at_start=run_at_start,
        infra=infra or StaticInfra(),
        watch_at_start=watch,
        services_at_start=up,
    )


def run_dashboard(
    project: Path,
    run_at_start: bool = True,
    suites: list[str] | None = None,
    task: str | None = None,
    report_dir: Path | None = None,
    watch: bool = False,
    retries: int | None = None,
    timeouts: Timeouts | None = None,
    up: bool = False,
    events: Path | None = None,
    nice: int = 0,
) -> int:
    """Run the dashboard until it quits; return zenboard's exit code for the runs it saw.

    Args:
        project: The project directory (or a directory below it).
        run_at_start: Start the selected suites as soon as the app opens.
        suites: Names of the suites to show and run (None or empty: all).
        task: The task id (`--task`); None: found from the environment or the path.
        report_dir: Where reports are published (None: `.zenboard/reports`).
        watch: Start watch mode when the app opens.
        retries: Every suite's `retries` (`--retries`); None keeps the configuration's.
        timeouts: `--timeout` and `--suite-timeout`, in place of every suite's own.
        up: Start the task's Compose services as the app opens.
        events: `--events FILE`: the session's events are appended there as JSON lines.
        nice: How much lower than the dashboard's the suites' CPU priority is (0: the same).
    """
    app = make_app(
        project,
        run_at_start,
        suites,
        task,
        report_dir,
        watch=watch,
        retries=retries,
        timeouts=timeouts,
        up=up,
        events=events,
        nice=nice,
    )
    atexit.register(app.session.shutdown)
    try:
        code = app.run()
    finally:
        app.session.shutdown()
        atexit.unregister(app.session.shutdown)
    if app.return_code not in (None, 0) and code is None:
        return 1  # the app crashed: Textual printed the traceback
    return code if code is not None else app.session.exit_code()
