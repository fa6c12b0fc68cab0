"""The project's import graph, found statically, and which test files a change can affect.

Every `.py` file of the project is parsed once with `ast` (and again only when it changes); its
`import` and `from ... import` statements are kept as dotted names and resolved against the
project's own modules when asked, so a module created later resolves without reparsing its
importers. Module names come from each file's package base (the first directory upwards without
an `__init__.py`, which is where pytest's default import mode puts a test's directory on
`sys.path`), plus the project root and `src/`. Relative imports are resolved from the importing
module's package. Imports of anything outside the project are ignored: only project files can
change under the watcher.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable
from pathlib import Path

TEST_FILE_PREFIX = "test_"
TEST_FILE_SUFFIX = "_test.py"


def is_test_file(path: Path) -> bool:
    """pytest's default `python_files` (`test_*.py`, `*_test.py`)."""
    name = path.name
    return name.endswith(".py") and (
        name.startswith(TEST_FILE_PREFIX) or name.endswith(TEST_FILE_SUFFIX)
    )


def package_base(path: Path) -> Path:
    """The directory a module is imported from: the first ancestor without `__init__.py`."""
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, module: str, is_package: bool) -> set[str]:
    """Dotted names a module's imports may load (packages on the way included)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".") if package else []
                if node.level - 1 > len(anchor):
                    continue
                anchor = anchor[: len(anchor) - (node.level - 1)]
                target = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                target = node.module or ""
            if not target:
                names.update(a.name for a in node.names if a.name != "*")
                continue
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names if a.name != "*")
    expanded: set[str] = set()
    for name in names:
        pieces = name.split(".")
        expanded.update(".".join(pieces[: i + 1]) for i in range(len(pieces)))
    return expanded


class ImportGraph:
    """Files -> the project files they import; answers "who imports this, however indirectly"."""

    def __init__(self, root: Path, skip_dir: Callable[[Path], bool]) -> None:
        self.root = root
        self._skip_dir = skip_dir
        self._imports: dict[Path, set[str]] = {}
        self._base: dict[Path, Path] = {}
        self._modules: dict[str, set[Path]] = {}
        self._importers: dict[Path, set[Path]] | None = None

    def scan(self) -> None:
        """Parse every Python file under the root (skipping ignored directories)."""
        for directory, subdirs, files in os.walk(self.root):
            here = Path(directory)
            subdirs[:] = [d for d in subdirs if not self._skip_dir(here / d)]
            for name in files:
                if name.endswith(".py"):
                    self._parse(here / name)

    def __len__(self) -> int:
        return len(self._imports)

    def update(self, paths: Iterable[Path]) -> None:
        """Reparse changed Python files (new ones are added); deleted ones are dropped."""
        for path in paths:
            if path.suffix != ".py":
                continue
            self._forget(path)
            if path.is_file():
                self._parse(path)

    def importers(self, changed: Iterable[Path]) -> set[Path]:
        """`changed` plus every project file importing any of them, directly or transitively."""
        reverse = self._reverse()
        seen = set(changed)
        stack = list(seen)
        while stack:
            for importer in reverse.get(stack.pop(), ()):
                if importer not in seen:
                    seen.add(importer)
                    stack.append(importer)
        return seen

    def _parse(self, path: Path) -> None:
        base = package_base(path)
        bases = {base, self.root, self.root / "src"}
        is_package = path.name == "__init__.py"
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        own = module_name(path, base)
        self._imports[path] = imported_names(source, own, is_package)
        self._base[path] = base
        for b in bases:
            if path.is_relative_to(b):
                name = module_name(path, b)
                if name:
                    self._modules.setdefault(name, set()).add(path)
        self._importers = None

    def _forget(self, path: Path) -> None:
        if self._imports.pop(path, None) is None:
            return
        self._base.pop(path, None)
        for files in self._modules.values():
            files.discard(path)
        self._importers = None

    def _reverse(self) -> dict[Path, set[Path]]:
        if self._importers is None:
            reverse: dict[Path, set[Path]] = {}
            for importer, names in self._imports.items():
                for target in self._resolve(importer, names):
                    if target != importer:
                        reverse.setdefault(target, set()).add(importer)
            self._importers = reverse
        return self._importers

    def _resolve(self, importer: Path, names: set[str]) -> set[Path]:
        targets: set[Path] = set()
        base = self._base.get(importer)
        for name in names:
            files = self._modules.get(name)
            if not files:
                continue
            local = {f for f in files if self._base.get(f) == base}
            targets |= local or files
        return targets
