"""Keep CPython's full garbage collections short while results stream into the model.

While runs stream, `CollectorPacing` moves what exists out of the collector's way once a second
(`gc.freeze`), so full collections walk only what arrived since; when no suite runs any more,
everything is handed back (`gc.unfreeze`) and collected once, so garbage cycles frozen along the
way are freed then, not kept. The pauses this avoids are measured in docs/performance.md.
"""

from __future__ import annotations

import gc

FREEZE_EVERY = 1.0
"""Seconds between freezes while runs stream (what a full collection may have to walk)."""


class CollectorPacing:
    def __init__(self, every: float = FREEZE_EVERY) -> None:
        self.every = every
        self.frozen = False
        self._last = 0.0

    def after_fold(self, running: bool, now: float) -> None:
        """Call on every tick with whether any suite runs and a monotonic clock."""
        if running:
            if now - self._last >= self.every:
                self._last = now
                gc.freeze()
                self.frozen = True
        elif self.frozen:
            self.release()

    def release(self) -> None:
        """Give the frozen objects back to the collector and collect once (runs ended, quit)."""
        if self.frozen:
            self.frozen = False
            gc.unfreeze()
            gc.collect()
