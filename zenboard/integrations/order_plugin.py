"""Moved to `zenboard.plugins.file_order`; this name stays for `-p` on saved command lines."""

from zenboard.plugins.file_order import *  # noqa: F403
