"""zenboard: run a project's test suites in parallel and watch them live."""

from __future__ import annotations

__version__ = "0.1.0"
