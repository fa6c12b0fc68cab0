"""docs/performance.md holds one `## ` section per benchmark; each benchmark rewrites only its own."""

from __future__ import annotations

from pathlib import Path

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def replace_section(heading: str, text: str, path: Path = PERFORMANCE_MD) -> Path:
    """Put `text` (which starts with `heading`) in place of that section, keeping every other one."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    start = old.find(heading)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(heading))
        after = old[end + 1 :] if end >= 0 else ""
        new = old[:start] + text.rstrip("\n") + "\n" + ("\n" + after if after else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
    return path
