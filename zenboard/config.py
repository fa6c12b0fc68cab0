"""Project configuration: `[tool.zenboard]` in pyproject.toml, or a zenboard.toml.

The configuration is read once into frozen dataclasses; every error names the file, the key
and what was expected, so a broken file costs the user one line to fix (see errors.ConfigError).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from zenboard.errors import ConfigError, InputError, show

SUITE_KINDS = ("pytest", "playwright")
DIST_MODES = ("load", "loadscope", "loadfile", "loadgroup", "worksteal", "each", "no")
SUITE_KEYS = {
    "name",
    "kind",
    "args",
    "workers",
    "dist",
    "cwd",
    "env",
    "python",
    "paths",
    "project",
    "grep",
    "allow_empty",
    "retries",
    "slow",
    "timeout",
    "suite_timeout",
    "needs",
    "needs_timeout",
    "budget",
}
PLAYWRIGHT_ONLY_KEYS = ("project", "grep")
SUITE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
MAX_SUITE_NAME = 64
"""Longest suite name: its report files (`<name>.json`, `<name>.xml`) stay well under NAME_MAX."""
RESERVED_SUITE_NAMES = ("summary",)
"""Names of the report dir's own files (`summary.json`), refused in any case (case-insensitive
file systems). Names starting with "." are refused too: the report dir's staging dirs, lock and
temp files start with one."""
MAX_WORKERS = 256
MAX_RETRIES = 10
"""Most retries a suite may ask for: a test that needs more is broken, not flaky."""
TABLE_KEYS: dict[str, frozenset[str]] = {
    "suites": frozenset(SUITE_KEYS),
    "ports": frozenset({"services"}),
    "watch": frozenset({"paths", "quiet_ms", "run_rest", "ignore", "leading"}),
    "quarantine": frozenset(),
    "compose": frozenset({"files", "timeout"}),
}
"""The tables under `[tool.zenboard]` (or a zenboard.toml's top level) and the keys each holds.
`ports` is read by tasks/ports.py, `compose` by tasks/compose_files.py and `watch` by
watch/settings.py
`quarantine` holds test ids of the user's (any key), checked by `_parse_quarantine`
(WATCH_KEYS); they validate their values, this only refuses unknown names up front."""
TOP_KEYS = frozenset({"budget", "history", "project"})
"""Plain keys at the top of `[tool.zenboard]` (beside its tables): `budget`, the seconds a full
run may take, `history`, the URL of a shared history, and `project`, the name its runs are
recorded under there."""
PROJECT_NAME_MAX = 200
HISTORY_ENV = "ZENBOARD_HISTORY_URL"
"""The variable that names the shared history; it wins over the config's `history` key."""
HISTORY_SCHEMES = ("postgresql", "postgres")
OWN_SECRETS = (HISTORY_ENV,)
"""zenboard's own variables that may hold a password: never passed to a process it starts."""

Workers = int | Literal["auto", "$PYTEST_WORKERS"]
WORKERS_VARIABLE = "PYTEST_WORKERS"
"""The variable `workers = "$PYTEST_WORKERS"` takes the count from (`.env.task` has it)."""
WORKERS_FROM_ENV = "$PYTEST_WORKERS"
WORKERS_FROM_ENV_SPELLINGS = ("$PYTEST_WORKERS", "${PYTEST_WORKERS}")
DEFAULT_SLOW = 60.0
"""Seconds after which a running test is marked SLOW unless the suite sets `slow`."""
DEFAULT_NEEDS_TIMEOUT = 120.0
"""Seconds a suite waits for what it `needs` unless it sets `needs_timeout`."""
PORT_NEED = "port:"
_SERVICE_NEED = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
"""A Compose service name (Compose's own rule)."""
_PORT_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class SuiteConfig:
    """One suite: a pytest (or Playwright) invocation with its own worker plan."""

    name: str
    kind: str = "pytest"
    args: tuple[str, ...] = ()
    workers: Workers = "auto"
    """Number of xdist workers, "auto", or 0 for no xdist (a single `main` lane); or
    "$PYTEST_WORKERS", read from the suite's environment when it runs (`with_workers_from`)."""
    dist: str | None = None
    """xdist distribution mode; None leaves xdist's default (load)."""
    cwd: Path = Path(".")
    """Absolute directory the suite runs in."""
    env: dict[str, str] = field(default_factory=dict)
    python: str | None = None
    """Interpreter for the suite; None means the one zenboard runs in."""
    paths: tuple[str, ...] = ()
    """Extra paths (relative to cwd) whose changes affect this suite, for watch mode."""
    project: tuple[str, ...] = ()
    """Playwright only: the projects to run (`--project`); empty runs them all."""
    grep: str | None = None
    """Playwright only: run the tests whose title matches this regular expression (`--grep`)."""
    allow_empty: bool = False
    """A whole run that collects no test is fine (else it makes the run exit 5: a typo in `-m`)."""
    retries: int = 0
    """Extra attempts for a failed test; one that passes on a retry is flaky, never passed."""
    slow: float = DEFAULT_SLOW
    """Seconds after which a running test is marked SLOW, live; 0 turns the mark off."""
    timeout: float | None = None
    """Seconds a test may run (setup, call and teardown) before it is stopped; None: no limit."""
    suite_timeout: float | None = None
    """Seconds a suite run may take before it is cancelled; None: no limit."""
    needs: tuple[str, ...] = ()
    """What must be ready before the suite starts: Compose services of the task that must be
    healthy (`postgres`), and ports that must accept connections (`port:BACKEND_PORT`)."""
    needs_timeout: float = DEFAULT_NEEDS_TIMEOUT
    """Seconds to wait for `needs` before the suite ends as an error."""
    budget: float | None = None
    """Seconds a full run of the suite may take before it fails the run; None: no budget."""


@dataclass(frozen=True)
class ProjectConfig:
    """Everything zenboard knows about a project before it runs anything."""

    root: Path
    source: Path | None
    """The file the configuration came from, or None for the built-in default."""
    suites: tuple[SuiteConfig, ...]
    table: dict[str, Any] = field(default_factory=dict)
    """The raw `[tool.zenboard]` table, for packages that own their own keys (watch mode's
    `[tool.zenboard.watch]`)."""
    quarantine: dict[str, str] = field(default_factory=dict)
    """Quarantined test id -> why (`[tool.zenboard.quarantine]`): they run and are reported,
    and their failures do not fail the run."""
    budget: float | None = None
    """Seconds a full, unsharded run may take (`budget` at the top); None: no budget."""
    history: str | None = None
    """The PostgreSQL URL of a shared history (`ZENBOARD_HISTORY_URL`, else the `history` key);
    None: the SQLite file in `.zenboard/`."""
    project: str | None = None
    """The name the project's runs are recorded under in the history (`project`); None: the
    git remote's, else the folder's (`project.history_key`)."""

    def suite(self, name: str) -> SuiteConfig:
        for suite in self.suites:
            if suite.name == name:
                return suite
        known = ", ".join(s.name for s in self.suites)
        raise ConfigError(
            self.source or self.root, "suites", f"no suite named {name!r} (known: {known})"
        )

    def select(self, names: list[str]) -> tuple[SuiteConfig, ...]:
        """The named suites in the order given, or all of them when no name is given."""
        if not names:
            return self.suites
        return tuple(self.suite(n) for n in names)


DEFAULT_SUITE = SuiteConfig(name="tests", workers="auto")


def load_config(root: Path) -> ProjectConfig:
    """Read the project's configuration from `root` (zenboard.toml wins over pyproject.toml)."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(root, "--project", "expected an existing directory")
    from zenboard.project.statedir import check_state_dirs

    check_state_dirs(root)  # every command loads its project here, before it writes anything
    config = _load_file(root)
    from_env = os.environ.get(HISTORY_ENV)
    if not from_env:
        return config
    problem = history_problem(from_env)
    if problem:
        raise InputError(f"{HISTORY_ENV}: {problem}")
    return replace(config, history=_lower_scheme(from_env))


def _load_file(root: Path) -> ProjectConfig:
    standalone = root / "zenboard.toml"
    pyproject = root / "pyproject.toml"
    if standalone.is_file():
        data = _read_toml(standalone)
        return _parse(root, standalone, data, prefix="")
    if pyproject.is_file():
        data = _read_toml(pyproject)
        tool = data.get("tool", {})
        table = tool.get("zenboard") if isinstance(tool, dict) else None
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(pyproject, "tool.zenboard", "expected a table")
            return _parse(root, pyproject, table, prefix="tool.zenboard.")
    return ProjectConfig(root=root, source=None, suites=(_with_cwd(DEFAULT_SUITE, root),))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "(file)", f"UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise ConfigError(path, "(file)", f"a readable file ({exc.strerror})") from None


def _with_cwd(suite: SuiteConfig, root: Path) -> SuiteConfig:
    return SuiteConfig(**{**suite.__dict__, "cwd": root})


def shown_key(name: str) -> str:
    """A key as the error line shows it: quoted with escapes when it holds control characters."""
    return name if name.isprintable() else repr(name)


def _unknown(path: Path, key: str, what: str, name: str, known: Any) -> ConfigError:
    """The error for an unknown table or key, with difflib's closest known name, if any."""
    choices = sorted(known)
    close = difflib.get_close_matches(name, choices, n=1)
    if not close:  # a different case ("Suites") is still close
        lowered = {c.lower(): c for c in choices}
        close = [lowered[m] for m in difflib.get_close_matches(name.lower(), lowered, n=1)]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(
        path, key, f"unknown {what}{hint}; expected a known {what} ({', '.join(choices)})"
    )


def _check_names(path: Path, table: dict[str, Any], prefix: str) -> None:
    """Refuse unknown tables and keys: a typo must not be silently ignored."""
    for name in sorted(table):
        if name in TOP_KEYS:
            continue
        if name not in TABLE_KEYS:
            value = table[name]
            is_table = isinstance(value, dict) or (
                isinstance(value, list) and bool(value) and isinstance(value[0], dict)
            )
            what = "table" if is_table else "key"
            known = TABLE_KEYS if is_table else TOP_KEYS
            raise _unknown(path, f"{prefix}{shown_key(name)}", what, name, known)
    for name in ("ports", "watch", "compose"):
        sub = table.get(name)
        if isinstance(sub, dict):  # not a table: the owner of the table says so
            for key in sorted(sub):
                if key not in TABLE_KEYS[name]:
                    raise _unknown(
                        path, f"{prefix}{name}.{shown_key(key)}", "key", key, TABLE_KEYS[name]
                    )


def _parse(root: Path, path: Path, table: dict[str, Any], prefix: str) -> ProjectConfig:
    """Validate a parsed `[tool.zenboard]` table (or zenboard.toml); errors are ConfigError."""
    _check_names(path, table, prefix)
    raw_suites = table.get("suites")
    if raw_suites is None:
        suites: tuple[SuiteConfig, ...] = (_with_cwd(DEFAULT_SUITE, root),)
    else:
        if not isinstance(raw_suites, list) or not raw_suites:
            raise ConfigError(path, f"{prefix}suites", "expected a non-empty array of tables")
        suites = tuple(
            _parse_suite(root, path, f"{prefix}suites[{i}]", raw)
            for i, raw in enumerate(raw_suites)
        )
        seen: set[str] = set()
        for i, suite in enumerate(suites):
            if suite.name.lower() in seen:  # ignoring case: report files on macOS or Windows
                raise ConfigError(
                    path, f"{prefix}suites[{i}].name", f"a unique name ({suite.name!r} repeats)"
                )
            seen.add(suite.name.lower())
    quarantine = _parse_quarantine(path, f"{prefix}quarantine", table.get("quarantine", {}))
    budget = table.get("budget")
    if budget is not None:
        budget = _seconds(path, f"{prefix}budget", budget)
    history = None
    if "history" in table and not os.environ.get(HISTORY_ENV):  # the variable wins
        problem = history_problem(table["history"])
        if problem:
            raise ConfigError(path, f"{prefix}history", problem)
        history = _lower_scheme(table["history"])
    project = table.get("project")
    if project is not None and not _is_project_name(project):
        raise ConfigError(
            path,
            f"{prefix}project",
            f"a name of 1 to {PROJECT_NAME_MAX} printable characters, got {show(project)}",
        )
    return ProjectConfig(
        root=root,
        source=path,
        suites=suites,
        table=table,
        quarantine=quarantine,
        budget=budget,
        history=history,
        project=project,
    )


def _is_project_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= PROJECT_NAME_MAX
        and value.isprintable()
    )


def history_problem(value: object) -> str | None:
    """What is wrong with a shared-history URL (None: nothing), in words that never show its
    password: not PostgreSQL's, or psycopg is not installed."""
    from zenboard.textsafe import redact, url_secrets, visible

    if not isinstance(value, str):
        return f"expected a postgresql://... URL string, got {show(value)}"
    scheme = value.partition("://")[0].lower() if "://" in value else ""
    if scheme not in HISTORY_SCHEMES:
        shown = visible(redact(value, *url_secrets(value)))
        return f"expected a postgresql://... URL, got {shown!r}"
    if importlib.util.find_spec("psycopg") is None:
        return "a PostgreSQL history needs psycopg: install zenboard[postgres]"
    return None


def inherited_environment() -> dict[str, str]:
    """zenboard's environment as the processes it starts inherit it: without its own secrets
    (a test printing `os.environ` would put the history's password in every report). A
    user's variables, `PGPASSWORD` included, pass: their tests may need them."""
    return {k: v for k, v in os.environ.items() if k not in OWN_SECRETS}


def _lower_scheme(url: str) -> str:
    """The URL with its scheme in lower case: `history_problem` accepts `POSTGRESQL://`, and
    libpq reads only the lower-case spelling as a URL (anything else as `key=value` pairs)."""
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest


def is_quarantine_id(nodeid: str) -> bool:
    """Whether the quarantine table accepts `nodeid` as a key: `path::test`, printable."""
    file, sep, name = nodeid.partition("::")
    return bool(sep and file.strip() and name.strip() and nodeid.isprintable())


def _parse_quarantine(path: Path, where: str, raw: Any) -> dict[str, str]:
    """The quarantine table: node ids (`path::test`, no control characters) -> reasons."""
    if not isinstance(raw, dict):
        raise ConfigError(path, where, "a table of test id = reason")
    for nodeid, reason in raw.items():
        if not is_quarantine_id(nodeid):
            raise ConfigError(
                path,
                f"{where}.{nodeid!r}",
                "a test id as pytest names it (`tests/test_x.py::test_name`)",
            )
        if not isinstance(reason, str) or not reason.strip() or not reason.isprintable():
            raise ConfigError(
                path, f"{where}.{shown_key(nodeid)}", "a reason (a non-empty one-line string)"
            )
    return dict(raw)


def _parse_suite(root: Path, path: Path, where: str, raw: Any) -> SuiteConfig:
    if not isinstance(raw, dict):
        raise ConfigError(path, where, "expected a table")
    unknown = sorted(set(raw) - SUITE_KEYS)
    if unknown:
        raise _unknown(path, f"{where}.{shown_key(unknown[0])}", "key", unknown[0], SUITE_KEYS)
    name = raw.get("name")
    if not isinstance(name, str) or not name or not set(name) <= SUITE_NAME_CHARS:
        raise ConfigError(path, f"{where}.name", "a name of letters, digits, '.', '_' or '-'")
    if len(name) > MAX_SUITE_NAME:
        raise ConfigError(
            path, f"{where}.name", f"a name of at most {MAX_SUITE_NAME} characters, got {len(name)}"
        )
    if name.lower() in RESERVED_SUITE_NAMES or name.startswith("."):
        raise ConfigError(
            path,
            f"{where}.name",
            f"a name not starting with '.' and not {', '.join(RESERVED_SUITE_NAMES)} "
            f"(the report dir's own files), got {name!r}",
        )
    where = f"{where} ({name})"
    kind = raw.get("kind", "pytest")
    if kind not in SUITE_KINDS:
        raise ConfigError(path, f"{where}.kind", f"one of {', '.join(SUITE_KINDS)}, got {kind!r}")
    args = _string_list(path, f"{where}.args", raw.get("args", []))
    paths = _string_list(path, f"{where}.paths", raw.get("paths", []))
    workers = raw.get("workers", "auto")
    if workers in WORKERS_FROM_ENV_SPELLINGS:
        workers = WORKERS_FROM_ENV
    elif workers_problem(workers):
        raise ConfigError(
            path,
            f"{where}.workers",
            f'a whole number from 0 to {MAX_WORKERS}, "auto" or "{WORKERS_FROM_ENV}", '
            f"got {workers!r}",
        )
    dist = raw.get("dist")
    if dist is not None and dist not in DIST_MODES:
        raise ConfigError(path, f"{where}.dist", f"one of {', '.join(DIST_MODES)}, got {dist!r}")
    cwd_raw = raw.get("cwd", ".")
    if not isinstance(cwd_raw, str) or "\0" in cwd_raw:
        raise ConfigError(path, f"{where}.cwd", "a directory path (string)")
    if not Path(os.path.normpath(root / cwd_raw)).is_relative_to(root):
        raise ConfigError(
            path, f"{where}.cwd", f"a directory inside the project {root}, got {cwd_raw!r}"
        )
    cwd = (root / cwd_raw).resolve()
    if not cwd.is_dir():
        raise ConfigError(path, f"{where}.cwd", f"an existing directory, {cwd} is not one")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ConfigError(path, f"{where}.env", "a table of string values")
    for k, v in env.items():
        if not k or "=" in k or "\0" in k or "\0" in v:
            raise ConfigError(
                path, f"{where}.env.{k!r}", "a variable name without '=' and values without NUL"
            )
    python = raw.get("python")
    if python is not None and (not isinstance(python, str) or "\0" in python):
        raise ConfigError(path, f"{where}.python", "a path to a Python interpreter (string)")
    for key in PLAYWRIGHT_ONLY_KEYS:
        if key in raw and kind != "playwright":
            raise ConfigError(path, f"{where}.{key}", 'a key of kind = "playwright" suites only')
    project = raw.get("project", [])
    if isinstance(project, str):
        project = [project]
    project = _string_list(path, f"{where}.project", project)
    grep = raw.get("grep")
    if grep is not None and (not isinstance(grep, str) or not grep or "\0" in grep):
        raise ConfigError(path, f"{where}.grep", "a non-empty regular expression (string)")
    allow_empty = raw.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise ConfigError(path, f"{where}.allow_empty", f"true or false, got {allow_empty!r}")
    retries = raw.get("retries", 0)
    if not valid_retries(retries):
        raise ConfigError(
            path, f"{where}.retries", f"a whole number from 0 to {MAX_RETRIES}, got {retries!r}"
        )
    slow = _seconds(path, f"{where}.slow", raw.get("slow", DEFAULT_SLOW), zero_ok=True)
    timeout = raw.get("timeout")
    if timeout is not None:
        timeout = _seconds(path, f"{where}.timeout", timeout)
    suite_timeout = raw.get("suite_timeout")
    if suite_timeout is not None:
        suite_timeout = _seconds(path, f"{where}.suite_timeout", suite_timeout)
    needs = _needs(path, f"{where}.needs", raw.get("needs", []))
    budget = raw.get("budget")
    if budget is not None:
        budget = _seconds(path, f"{where}.budget", budget)
    needs_timeout = _seconds(
        path, f"{where}.needs_timeout", raw.get("needs_timeout", DEFAULT_NEEDS_TIMEOUT)
    )
    return SuiteConfig(
        name=name,
        kind=kind,
        args=tuple(args),
        workers=workers,
        dist=dist,
        cwd=cwd,
        env=dict(env),
        python=python,
        paths=tuple(paths),
        project=tuple(project),
        grep=grep,
        allow_empty=allow_empty,
        retries=retries,
        slow=slow,
        timeout=timeout,
        suite_timeout=suite_timeout,
        needs=needs,
        needs_timeout=needs_timeout,
        budget=budget,
    )


def _needs(path: Path, key: str, value: Any) -> tuple[str, ...]:
    """`needs`: service names as Compose spells them, and `port:VARIABLE`s."""
    expected = (
        'an array of service names and "port:VARIABLE" entries (e.g. ["postgres", '
        '"port:BACKEND_PORT"])'
    )
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, key, expected)
    for need in value:
        if need.startswith(PORT_NEED):
            if not _PORT_VARIABLE.fullmatch(need[len(PORT_NEED) :]):
                raise ConfigError(
                    path, key, f"a port variable as in .env.task (port:BACKEND_PORT), got {need!r}"
                )
        elif not _SERVICE_NEED.fullmatch(need):
            raise ConfigError(path, key, f"{expected}, got {need!r}")
    return tuple(dict.fromkeys(value))


def workers_problem(value: object) -> bool:
    """True when `value` is not a worker count zenboard takes: "auto" or 0..MAX_WORKERS."""
    if value == "auto":
        return False
    return isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WORKERS


def with_workers_from(suite: SuiteConfig, env: Mapping[str, str]) -> SuiteConfig:
    """`suite` with `workers = "$PYTEST_WORKERS"` replaced by the variable's value in `env`
    (the suite's own environment); InputError (exit 2) when it is not "auto" or a count."""
    if suite.workers != WORKERS_FROM_ENV:
        return suite
    raw = env.get(WORKERS_VARIABLE)
    value: object = raw
    if raw is not None and raw.strip().isdigit():
        value = int(raw.strip())
    elif raw is not None:
        value = raw.strip()
    if raw is None or workers_problem(value):
        said = "is not set" if raw is None else f"is {raw!r}"
        raise InputError(
            f'suite {suite.name}: workers = "{WORKERS_FROM_ENV}", but {WORKERS_VARIABLE} {said}'
            f" (in .env.task, the suite's env or the environment): expected auto or a whole "
            f"number from 0 to {MAX_WORKERS}"
        )
    assert value == "auto" or isinstance(value, int)
    return replace(suite, workers=value)


def valid_retries(value: object) -> bool:
    """A retry count zenboard accepts: a whole number from 0 to MAX_RETRIES."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RETRIES


def with_retries(config: ProjectConfig, retries: int | None) -> ProjectConfig:
    """`config` with every suite's `retries` set to `retries` (`--retries`); None keeps it."""
    if retries is None:
        return config
    suites = tuple(replace(suite, retries=retries) for suite in config.suites)
    return replace(config, suites=suites)


MAX_SECONDS = 7 * 24 * 3600.0
"""Longest timeout or slow threshold: a week (larger values are typos, and overflow timers)."""


def seconds_problem(value: Any, zero_ok: bool = False) -> str:
    """Why `value` is not a number of seconds ("" when it is one): shared with the CLI flags."""
    low = "0" if zero_ok else "more than 0"
    expected = f"a number of seconds, {low} and at most {MAX_SECONDS:.0f}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{expected}, got {value!r}"
    if value != value or value > MAX_SECONDS or value < 0 or (value == 0 and not zero_ok):
        return f"{expected}, got {value!r}"
    return ""


def _seconds(path: Path, key: str, value: Any, zero_ok: bool = False) -> float:
    problem = seconds_problem(value, zero_ok)
    if problem:
        raise ConfigError(path, key, problem)
    return float(value)


def _string_list(path: Path, key: str, value: Any) -> list[str]:
    """An array of strings; NUL, which no command line or path can hold, is refused."""
    if not isinstance(value, list) or not all(isinstance(v, str) and "\0" not in v for v in value):
        raise ConfigError(path, key, "an array of strings (without NUL)")
    return value


@dataclass(frozen=True)
class Timeouts:
    """`--timeout` and `--suite-timeout` from the command line; None leaves the config's."""

    timeout: float | None = None
    suite_timeout: float | None = None


def with_timeouts(config: ProjectConfig, timeouts: Timeouts | None) -> ProjectConfig:
    """`config` with the command line's timeouts in place of every suite's own."""
    if timeouts is None:
        return config
    changes = {k: v for k, v in dataclasses.asdict(timeouts).items() if v is not None}
    if not changes:
        return config
    suites = tuple(dataclasses.replace(s, **changes) for s in config.suites)
    return dataclasses.replace(config, suites=suites)
