"""Moved to `zenboard.plugins.run_first`; this name stays for `-p` on saved command lines."""

from zenboard.plugins.run_first import *  # noqa: F403
