"""What the history's queries need of a database: the SQLite file or a team's PostgreSQL.

`History` writes the same SQL to both, with `?` placeholders; each store runs it in its own
dialect (psycopg wants `%s`) and says what its own faults mean, in one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]


class HistoryStore(Protocol):
    """An open history database with zenboard's schema, migrated to the latest version."""

    where: str
    """The database as messages name it: the file's path, or the URL with its password hidden."""
    result_order: str
    """The column that orders a suite run's results as they were recorded (`t.rowid`, `t.id`)."""
    errors: tuple[type[BaseException], ...]
    """The driver's exceptions, which `unusable` turns into one line."""

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Insert many rows at once (a run's thousands of results), the fastest way it has."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Writes inside are one transaction: all of a run, or none of it."""
        ...

    def unusable(self, exc: BaseException) -> Exception:
        """The one line (a `HistoryUnusable`) for a fault of this database."""
        ...

    def close(self) -> None: ...
