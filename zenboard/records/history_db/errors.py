"""The one error a history gives its callers, whichever database holds it."""

from __future__ import annotations

from zenboard.errors import InputError


class HistoryUnusable(InputError):
    """The history cannot be used; the message names it and says what to do.

    Commands that need the history exit 2 with it; a run goes on and only says
    `history not recorded: <message>`.
    """
