"""Turn a shard (`--shard K/N`) or the duration-aware plan into what the engine starts.

The result is the suites to start (worker counts possibly resized) and, per suite, the test
ids to pass in order. Suites are collected in parallel, one pytest process each, in their own
interpreter and directory. A suite that cannot be collected is not planned: in a shard it runs
whole in shard 1 (so its error is reported once) and is left out of the others.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from zenboard import safefs
from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.planning.collect import Collected, collect
from zenboard.planning.schedule import file_of, order_by_file, size_workers
from zenboard.planning.shards import shard_tests
from zenboard.records import durations as durations_file
from zenboard.wire import ENV_FILE_ORDER as ENV_VAR
from zenboard.words import plural

Selection = dict[str, tuple[tuple[str, ...], str]]


@dataclass
class Plan:
    suites: tuple[SuiteConfig, ...]
    selection: Selection = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Lines for the user: suites left out of this shard, collection problems."""
    fingerprint: str = ""
    """What a shard plan was computed from (every suite's test ids and known durations), as a
    short hash: merge refuses shards whose plans differ, since tests could fall between them."""


def collect_all(
    suites: Sequence[SuiteConfig], extra_env: dict[str, str] | None = None
) -> dict[str, Collected]:
    pytest_suites = [s for s in suites if s.kind == "pytest"]
    if not pytest_suites:
        return {}
    with ThreadPoolExecutor(max_workers=len(pytest_suites)) as pool:
        found = pool.map(lambda s: collect(s, extra_env), pytest_suites)
        return {s.name: c for s, c in zip(pytest_suites, found, strict=True)}


def shard_plan(
    config: ProjectConfig,
    suites: Sequence[SuiteConfig],
    k: int,
    n: int,
    extra_env: dict[str, str] | None = None,
) -> Plan:
    """Shard `k` of `n` of every suite, balanced by `.zenboard/durations.json`.

    Args:
        config: The project's configuration.
        suites: The suites to shard.
        k: Which shard, from 1.
        n: How many shards.
        extra_env: Variables added to the collection's environment.
    """
    known = durations_file.load(config.root)
    collected = collect_all(suites, extra_env)
    plan = Plan(suites=())
    chosen: list[SuiteConfig] = []
    for suite in suites:
        if suite.kind == "playwright":
            chosen.append(dataclasses.replace(suite, args=(*suite.args, f"--shard={k}/{n}")))
            continue
        found = collected[suite.name]
        if found.error:
            plan.notes.append(
                f"[{suite.name}] {found.error}"
                + ("; running it whole in shard 1" if k == 1 else "")
            )
            if k == 1:
                chosen.append(suite)
            continue
        if not found.nodeids and not suite.allow_empty:
            # A suite that selects nothing at all is an error once, not an empty slice in
            # every shard: shard 1 runs it whole (and exits 5), the others leave it out.
            if k == 1:
                plan.notes.append(f"[{suite.name}] selects no tests: running it whole in shard 1")
                chosen.append(suite)
            continue
        tests = shard_tests(found.nodeids, known.get(suite.name, {}), k, n)
        if not tests:
            plan.notes.append(
                f"[{suite.name}] shard {k}/{n}: none of its "
                f"{plural(len(found.nodeids), 'test')} falls in this shard"
            )
            continue
        ordered = order_by_file(tests, known.get(suite.name, {}))
        plan.selection[suite.name] = (tuple(ordered), found.rootdir)
        plan.notes.append(
            f"[{suite.name}] shard {k}/{n}: {len(tests)} of {plural(len(found.nodeids), 'test')}"
        )
        chosen.append(suite)
    plan.suites = tuple(chosen)
    plan.fingerprint = _fingerprint(
        {
            # Whether collection failed, not pytest's words: its last line carries the time it
            # took ("1 error in 0.12s"), which differs between shards of one CI run.
            name: [sorted(found.nodeids), sorted(known.get(name, {}).items()), bool(found.error)]
            for name, found in collected.items()
        }
    )
    return plan


def _fingerprint(inputs: dict[str, Any]) -> str:
    import hashlib

    text = json.dumps(inputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def duration_plan(
    config: ProjectConfig,
    suites: Sequence[SuiteConfig],
    cores: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Plan:
    """Workers sized by expected durations and files longest first, where durations are known.

    No collection run: the file order is applied inside pytest by `plugins/file_order.py`, from
    a small JSON file of seconds per test file under `.zenboard/plan/`.

    Args:
        config: The project's configuration.
        suites: The suites that run at once.
        cores: The cores to deal out as workers (None: this machine's).
        extra_env: Variables added to every suite's environment.
    """
    known = durations_file.load(config.root)
    if not any(known.get(s.name) for s in suites):
        return Plan(suites=tuple(suites), notes=["plan: no durations yet, using the fixed plan"])
    plan_dir = config.root / ".zenboard" / "plan"
    chosen = []
    notes = []
    for suite in size_workers(suites, known, cores):
        tests = known.get(suite.name)
        if suite.kind != "pytest" or not tests:
            chosen.append(suite)
            continue
        per_file: dict[str, float] = {}
        for nodeid, seconds in tests.items():
            per_file[file_of(nodeid)] = per_file.get(file_of(nodeid), 0.0) + seconds
        order_file = plan_dir / f"{suite.name}.json"
        try:
            safefs.write_atomic(order_file, json.dumps(per_file), root=config.root)
        except OSError as exc:  # the suite still runs, its files in their usual order
            chosen.append(suite)
            why = f"could not write {safefs.describe(exc)}"
            notes.append(f"[{suite.name}] plan: workers={suite.workers}, files unordered ({why})")
            continue
        env = {**suite.env, ENV_VAR: str(order_file)}
        args = (*suite.args, "-p", "zenboard.plugins.file_order")
        chosen.append(dataclasses.replace(suite, args=args, env=env))
        notes.append(f"[{suite.name}] plan: workers={suite.workers}, files longest first")
    return Plan(suites=tuple(chosen), notes=notes)
