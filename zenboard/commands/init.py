"""`zenboard init`: read the project, then write suites that hold each of its tests once.

It collects the tests as plain `pytest` does in the root, with the interpreter suites will run
in (zenboard's own: a suite runs in another only when its `python` key names one), builds one
suite per marker family the project registers and uses plus one for the unmarked rest
(onboarding/init_plan.py), sizes workers to this machine's cores and each suite's test
count, adds a Playwright suite per `playwright.config.*` and a ports table from the compose
file's services, proves the result by collecting each suite (onboarding/audit.py), and only
then writes. Exit 0 when written (or printed, with --dry-run) and checked; 1 when written but
the check found a test outside the partition; 2 when nothing was written (a configuration
exists, the tests cannot be collected or there are none yet, the file cannot take the table).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the modules themselves load inside `run`, after the arguments are parsed
    from zenboard.onboarding.audit import Findings
    from zenboard.onboarding.init_plan import Plan
    from zenboard.onboarding.parts import Part
    from zenboard.tasks.compose.file_services import ComposeServices

PROJECT = "optional"
"""Runs without a project: the current directory will do (see cli._project)."""


def project_need(args: argparse.Namespace) -> str:
    """`--check` is `zenboard audit`, which needs a project (see cli._project); init does not."""
    return "needed" if args.check else PROJECT


NAME = "init"
HELP = "read the project's tests, markers, Playwright and compose files; write suites for them"
WRITES = (
    "Writes [tool.zenboard] into pyproject.toml (or a new zenboard.toml) and adds "
    ".zenboard/ and .zenflow/ to .gitignore; --dry-run and --check write nothing. A project "
    "without tests gets nothing written."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print the configuration; write nothing"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing zenboard configuration"
    )
    parser.add_argument(
        "--check", action="store_true", help="check the existing configuration (= zenboard audit)"
    )


@dataclass(frozen=True)
class Target:
    """Where the configuration goes and what that file holds now."""

    path: Path
    prefix: str
    """"tool.zenboard." in a pyproject.toml, "" in a zenboard.toml."""
    existing: str
    configured: bool
    """The file configures zenboard already."""


def _target(root: Path) -> Target:
    """zenboard.toml when it exists (it wins), else pyproject.toml when it exists (never a new
    one: a pyproject.toml makes a directory a Python project), else a new zenboard.toml."""
    import tomllib

    from zenboard.errors import ConfigError
    from zenboard.onboarding.project_files import read_text

    standalone, pyproject = root / "zenboard.toml", root / "pyproject.toml"
    text = read_text(standalone)
    if text is not None:
        return Target(standalone, "", text, configured=True)
    text = read_text(pyproject)
    if text is None:
        return Target(standalone, "", "", configured=False)
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            pyproject, "(syntax)", f"valid TOML before zenboard adds to it ({exc})"
        ) from None
    return Target(pyproject, "tool.zenboard.", text, "zenboard" in tool)


def _new_text(target: Target, rendered: str) -> str:
    from zenboard.onboarding.init_toml import append_table, check_merged, strip_zenboard

    if not target.prefix:
        return rendered  # zenboard.toml is zenboard's own file
    base = strip_zenboard(target.existing) if target.configured else target.existing
    text = append_table(base, rendered)
    check_merged(target.path.name, target.existing, text, rendered)
    return text


def _interpreter_note(places: list[Path]) -> str:
    """A note when the project (its root, or a directory its tests are collected in) has its
    own `.venv` and zenboard runs in another interpreter."""
    for place in places:
        venv = place / ".venv"
        if (venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != venv.resolve():
            return (
                f"note: the project has {venv}, but zenboard runs in {sys.prefix}: suites run "
                f"in zenboard's interpreter; install zenboard into {venv} "
                f"({venv}/bin/pip install /path/to/zenboard) and run {venv}/bin/zenboard to use it"
            )
    return ""


def run(args: argparse.Namespace) -> int:
    from zenboard.errors import InputError
    from zenboard.onboarding import init_plan
    from zenboard.onboarding.init_toml import render
    from zenboard.onboarding.parts import marker_counts, parts_error, read_parts
    from zenboard.onboarding.project_files import (
        check_writable,
        missing_ignores,
        read_text,
        replace,
        with_ignores,
    )
    from zenboard.onboarding.project_scan import find_playwright_dirs, machine_cores
    from zenboard.tasks.compose.file_services import read_compose_services
    from zenboard.textsafe import visible

    root = args.project.resolve()
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    if args.check:
        from zenboard.commands import audit

        return audit.run(args)
    target = _target(root)
    if target.configured and not (args.force or args.dry_run):
        raise InputError(
            f"{target.path} configures zenboard already; `zenboard audit` checks it, "
            "`zenboard init --force` replaces it"
        )
    gitignore = root / ".gitignore"
    if not args.dry_run:
        for path in (target.path, gitignore):
            check_writable(path, root)
    parts = read_parts(sys.executable, root)
    note = _interpreter_note([root, *(p.where(root) for p in parts if p.cwd != ".")])
    error = parts_error(parts)
    if error:
        hint = f" ({note})" if note else ""
        raise InputError(f"cannot read the tests in {root}: {error}; nothing written{hint}")
    if not any(p.inventory.tests for p in parts):
        # Suites sized for no test would pin `workers = 0` (no xdist) once tests arrive, and
        # `zenboard run` would exit 5 until then; without a configuration it runs them all.
        raise InputError(
            f"no tests in {root} yet (plain pytest collects none with {sys.executable}): "
            "nothing written; run `zenboard init` again once the project has tests"
        )
    cores = machine_cores()
    plan = init_plan.plan_parts(
        [init_plan.PartTests(p.inventory.tests, p.inventory.declared, p.cwd) for p in parts],
        cores,
        find_playwright_dirs(root),
    )
    compose = read_compose_services(root)
    rendered = render(plan, compose.services, target.prefix)
    text = _new_text(target, rendered)

    findings = _check(root, parts, plan)
    ignores = missing_ignores(read_text(gitignore) or "")

    _describe(root, parts, plan, compose, note)
    checked = _describe_check(root, findings, marker_counts(parts))
    if args.dry_run:
        again = " (with --force, in place of its zenboard tables)" if target.configured else ""
        print(f"\nDry run, nothing written. {visible(str(target.path))} would get{again}:\n")
        print(rendered, end="")
        if ignores:
            print(f"\n.gitignore would get: {' '.join(ignores)}")
        return 0 if checked else 1
    replace(target.path, text, root)
    if ignores:
        replace(gitignore, with_ignores(read_text(gitignore) or "", ignores), root)
        print(f".gitignore: added {' and '.join(ignores)} (zenboard's reports, history, tasks)")
    table = "[tool.zenboard]" if target.prefix else "the configuration"
    print(f"Wrote {table} to {visible(str(target.path))}. Next: zenboard run --ci")
    return 0 if checked else 1


def _check(root: Path, parts: list[Part], plan: Plan) -> Findings:
    """Collect each planned pytest suite as `zenboard run` will: do they hold every test once?"""
    from zenboard.config import SuiteConfig
    from zenboard.onboarding.audit import collect_suites, find
    from zenboard.onboarding.parts import every_test

    suites = [
        SuiteConfig(name=s.name, args=s.args, workers=s.workers, cwd=root / s.cwd)
        for s in plan.suites
        if s.kind == "pytest"
    ]
    return find(every_test(parts), collect_suites(suites))


def _describe(
    root: Path, parts: list[Part], plan: Plan, compose: ComposeServices, note: str
) -> None:
    """What init found and what it makes of it: per suite its command, tests and workers."""
    from zenboard.engine.commands.playwright import find_playwright
    from zenboard.onboarding.init_plan import tests_word
    from zenboard.textsafe import visible
    from zenboard.words import plural

    if [p.cwd for p in parts] != ["."]:
        dirs = ", ".join(f"{visible(p.cwd)}/" for p in parts)
        print(
            f"No pytest configuration in {visible(str(root))} and no tests of its own; "
            f"pytest's is in {dirs}: "
            "the tests are collected there, and their suites run there (cwd)."
        )
    for part in parts:
        where = visible(str(part.where(root)))
        count = tests_word(len(part.inventory.tests))
        print(f"Collected {count} in {where} with {visible(sys.executable)}.")
    if note:
        print(note)
    for planned in plan.parts:
        in_part = f" in {visible(planned.cwd)}/" if len(plan.parts) > 1 else ""
        if planned.families:
            families = ", ".join(planned.families)
            print(f"Marker families{in_part}, in the project's order: {families}.")
        else:
            print(f"No marker of the project's own is in use{in_part}: one suite for every test.")
        for marker, why in planned.not_families:
            print(f"  {visible(marker)}: no suite of its own, {why}")
    cores = plural(plan.cores, "core")
    print(f"Workers sized for {cores} (this machine's); all suites run at once.\n")
    width = max(len(s.name) for s in plan.suites)
    for suite in plan.suites:
        if suite.kind == "playwright":
            command = f"playwright test in {visible(suite.cwd)}/"
            count = "tests not counted"
        else:
            command = visible(shlex.join(["pytest", *suite.args]))
            if suite.cwd != ".":
                command += f" in {visible(suite.cwd)}/"
            claimed = ", ".join(f"{n} also marked {m}" for m, n in sorted(suite.claimed.items()))
            count = tests_word(len(suite.tests)) + (f" ({claimed})" if claimed else "")
        print(f"  {suite.name:<{width}}  {command}: {count}")
        print(f"  {'':<{width}}  workers {suite.workers}: {suite.why}")
        if suite.kind == "playwright" and find_playwright(root / suite.cwd) is None:
            pytest_names = " ".join(s.name for s in plan.suites if s.kind == "pytest")
            print(
                f"  {'':<{width}}  no @playwright/test there yet (npm install); until then: "
                f"zenboard run --ci {pytest_names}"
            )
    print()
    if compose.file is None:
        print("No compose file: no ports table.")
    elif compose.error:
        print(f"No ports table: {visible(compose.error)}")
    else:
        ports = ", ".join(f"{name} {port}" for name, port in compose.services.items())
        print(f"Ports from {compose.file.name}: {ports or 'none (no service has a port)'}")
        for name, why in compose.left_out:
            print(f"  {visible(name)} left out: {why}")


def _describe_check(root: Path, findings: Findings, markers: list[tuple[str, int]]) -> bool:
    """Print the check's result; True when the suites hold every test exactly once."""
    from zenboard.commands.audit import finding_lines

    if findings.clean:
        each = "the 1 test is" if findings.total == 1 else f"each of the {findings.total} tests is"
        print(f"Check: collected each suite: {each} in exactly one suite.")
        return True
    print("Check: collecting each suite found a problem (zenboard audit shows it again):")
    for line in finding_lines(findings, root, markers):
        print(f"  {line}")
    return False
