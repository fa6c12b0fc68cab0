"""`python -m zenboard` is the `zenboard` command."""

from __future__ import annotations

from zenboard.cli import entry_point

entry_point()
