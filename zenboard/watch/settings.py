"""`[tool.zenboard.watch]`: what watch mode watches, how long it waits, what it reruns.

Read from the raw configuration table (`ProjectConfig.table`), which watch mode owns: the core
configuration parser knows nothing of these keys. Every error names the file, the key and what
was expected, and a watched path that is missing or not a directory is refused up front (exit
2) rather than discovered by the watcher thread later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zenboard.config import ProjectConfig
from zenboard.errors import ConfigError

DEFAULT_QUIET_MS = 100
WATCH_KEYS = ("paths", "quiet_ms", "run_rest", "ignore", "leading")


@dataclass(frozen=True)
class WatchSettings:
    paths: tuple[Path, ...]
    """Absolute directories to watch (default: the project root)."""
    quiet_ms: int = DEFAULT_QUIET_MS
    """Changes are gathered until the tree has been quiet this long, then handled as one batch
    (after a leading batch, see `leading`)."""
    leading: bool = True
    """The first change after a quiet spell is handled at once (once the watcher's 20 ms step
    saw nothing more); what follows within the quiet window is gathered into one more batch."""
    run_rest: bool = True
    """After the failed and affected tests, run the rest of each affected suite."""
    ignore: tuple[str, ...] = ()
    """Extra glob patterns (relative to the project root) whose changes never trigger a run."""

    def shown_paths(self, root: Path) -> str:
        """The watched paths as a person reads them: relative to `root` where they can be."""
        return ", ".join(
            (p.relative_to(root).as_posix() or ".") if p.is_relative_to(root) else str(p)
            for p in self.paths
        )


def load_watch_settings(config: ProjectConfig, quiet_ms: int | None = None) -> WatchSettings:
    """The watch settings of `config`; `quiet_ms` (from the command line) wins over the file."""
    source: Path | str = config.source or config.root
    prefix = (
        "tool.zenboard.watch"
        if config.source and config.source.name == "pyproject.toml"
        else "watch"
    )
    raw: Any = config.table.get("watch", {})
    if not isinstance(raw, dict):
        raise ConfigError(source, prefix, "expected a table")
    unknown = sorted(set(raw) - set(WATCH_KEYS))
    if unknown:
        raise ConfigError(
            source, f"{prefix}.{unknown[0]}", f"a known key ({', '.join(WATCH_KEYS)})"
        )
    paths_raw = raw.get("paths", ["."])
    if (
        not isinstance(paths_raw, list)
        or not paths_raw
        or not all(isinstance(p, str) for p in paths_raw)
    ):
        raise ConfigError(
            source, f"{prefix}.paths", "a non-empty array of directory paths (strings)"
        )
    paths = tuple(_watched_dir(config.root, source, f"{prefix}.paths", p) for p in paths_raw)
    quiet = raw.get("quiet_ms", DEFAULT_QUIET_MS) if quiet_ms is None else quiet_ms
    if isinstance(quiet, bool) or not isinstance(quiet, int) or not 1 <= quiet <= 60_000:
        where = "--quiet-ms" if quiet_ms is not None else f"{prefix}.quiet_ms"
        raise ConfigError(
            source, where, f"a whole number of milliseconds from 1 to 60000, got {quiet!r}"
        )
    run_rest = raw.get("run_rest", True)
    if not isinstance(run_rest, bool):
        raise ConfigError(source, f"{prefix}.run_rest", f"true or false, got {run_rest!r}")
    leading = raw.get("leading", True)
    if not isinstance(leading, bool):
        raise ConfigError(source, f"{prefix}.leading", f"true or false, got {leading!r}")
    ignore = raw.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(p, str) and p for p in ignore):
        raise ConfigError(source, f"{prefix}.ignore", "an array of glob patterns (strings)")
    return WatchSettings(
        paths=_outermost(paths),
        quiet_ms=quiet,
        run_rest=run_rest,
        ignore=tuple(ignore),
        leading=leading,
    )


def _watched_dir(root: Path, source: Path | str, key: str, value: str) -> Path:
    path = (root / value).resolve()
    if not path.exists():
        raise ConfigError(source, key, f"an existing directory, {value!r} ({path}) does not exist")
    if not path.is_dir():
        raise ConfigError(source, key, f"a directory, {value!r} ({path}) is not one")
    return path


def _outermost(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Drop paths inside other watched paths: each change should arrive once."""
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return tuple(kept)
