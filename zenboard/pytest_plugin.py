"""Moved to `zenboard.plugins.events`; this name stays importable for `-p` and old imports."""

from zenboard.plugins.events import *  # noqa: F403
