"""`python -m zenboard` is the `zenboard` command."""

from __future__ import annotations

import sys

from zenboard.cli import main

sys.exit(main())
