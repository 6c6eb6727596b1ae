"""A projection: a pure fold from ledger events to rows of its own tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    """What a projection writes through: `?` placeholders on both stores, rows as dicts.

    The composition root hands the runner a database of coordination.tables; projections only see this.
    """

    dialect: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Cursor: ...

    def fetchone(self) -> dict[str, Any] | None: ...

    def fetchall(self) -> list[dict[str, Any]]: ...

    def execute_all(self, statements: Sequence[tuple[str, Sequence[Any]]],
                    query: tuple[str, Sequence[Any]] | None = None) -> list[dict[str, Any]]:
        """Run statements whose results nobody reads, in order, then `query` (if any), whose rows are returned
        (on PostgreSQL in one round trip)."""

    @property
    def rowcount(self) -> int: ...


class ColumnCipher(Protocol):
    """Encrypts the columns that hold case text; the composition root gives one (the identity without a key)."""

    def encrypt(self, value: str, column: str) -> str: ...

    def decrypt(self, value: str, column: str) -> str: ...


class Clear:
    """Stores text as it is: a deployment without PATHWAYS_CIPHER_KEY, and tests that do not need one."""

    def encrypt(self, value: str, column: str) -> str:
        return value

    def decrypt(self, value: str, column: str) -> str:
        return value


CLEAR = Clear()


class Rows:
    """The only thing a projection may touch while folding: its own rows, to write and to read back.

    Reading back is deterministic (the same rows, folded in the same order), so a rebuild gives the same result.
    Writes are held until the next read or the end of the batch, then sent together with it: on PostgreSQL a read
    and the writes before it cost one round trip, not one each (which made folding on PostgreSQL five times slower
    than on SQLite).
    """

    def __init__(self, cursor: Cursor):
        self._cursor = cursor
        self._writes: list[tuple[str, list[Any]]] = []

    def upsert(self, table: str, key: Sequence[str], values: dict[str, Any]) -> None:
        columns = list(values)
        updates = [c for c in columns if c not in key]
        conflict = "DO NOTHING" if not updates else "DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in updates)
        self._write(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                    f"ON CONFLICT ({', '.join(key)}) {conflict}", [values[c] for c in columns])

    def execute(self, statement: str, params: Sequence[Any]) -> None:
        """A write of the projection's own tables that the methods here do not make (held like theirs)."""
        self._write(statement, list(params))

    def update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> None:
        sets = ", ".join(f"{c}=?" for c in values)
        conditions = " AND ".join(f"{c}=?" for c in where)
        self._write(f"UPDATE {table} SET {sets} WHERE {conditions}", [*values.values(), *where.values()])

    def find(self, table: str, where: dict[str, Any]) -> dict[str, Any] | None:
        found = self.find_all(table, where)
        return found[0] if found else None

    def find_all(self, table: str, where: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows at `where`, after the writes held so far (sent with the read: one round trip)."""
        conditions = " AND ".join(f"{c}=?" for c in where)
        writes, self._writes = self._writes, []
        return self._cursor.execute_all(writes, (f"SELECT * FROM {table} WHERE {conditions}", list(where.values())))

    def delete(self, table: str, where: dict[str, Any]) -> None:
        conditions = " AND ".join(f"{c}=?" for c in where)
        self._write(f"DELETE FROM {table} WHERE {conditions}", list(where.values()))

    def flush(self) -> None:
        """Send the writes held so far (the runner calls it before the batch's position moves)."""
        if self._writes:
            writes, self._writes = self._writes, []
            self._cursor.execute_all(writes)

    def _write(self, statement: str, params: list[Any]) -> None:
        self._writes.append((statement, params))


class Projection:
    """Base of read models: name, tables, the event topics it folds, and the fold itself."""

    name: str = ""
    # Bump when the tables' DDL or what `apply` stores in them changes: `pathways migrate` then drops the
    # tables, creates them again per `ddl` and folds the whole ledger into them (coordination/migrations.py).
    version: int = 1
    tables: Sequence[str] = ()  # table names, children first, for rebuilds
    ddl: Sequence[str] = ()  # CREATE TABLE / INDEX IF NOT EXISTS, portable between SQLite and PostgreSQL
    topics: frozenset[str] = frozenset()

    def __init__(self, cipher: ColumnCipher = CLEAR):
        self.cipher = cipher  # for the columns that hold case text ("table.column" is its associated data)

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        raise NotImplementedError
