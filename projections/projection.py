"""A projection: a pure fold from ledger events to rows of its own tables."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    """What a projection writes through: `?` placeholders on both stores, rows as dicts.

    The composition root hands the runner a database of coordination.tables; projections only see this.
    """

    dialect: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Cursor: ...

    def fetchone(self) -> dict[str, Any] | None: ...

    def fetchall(self) -> list[dict[str, Any]]: ...

    def pipelined(self) -> AbstractContextManager[None]:
        """Within it, statements are sent at once and answered at the end or at a `query` (PostgreSQL)."""

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a SELECT, after every statement sent before it."""

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
    The runner folds a batch in a pipeline: on PostgreSQL each write is sent as it is made and the server applies it
    while the next event is folded; a read back waits for every write before it (one round trip). Statements that
    read what they need themselves (INSERT ... SELECT, through `execute`) need no read back at all.
    """

    def __init__(self, cursor: Cursor):
        self._cursor = cursor
        # What projections wrote in this batch, kept by each under its name, so that they read it back from here
        # rather than from the store: a read back is a round trip that stalls the batch's pipeline. It lives as long
        # as the batch's transaction, so it never outlives what it mirrors.
        self.kept: dict[str, Any] = {}

    def upsert(self, table: str, key: Sequence[str], values: dict[str, Any]) -> None:
        columns = list(values)
        updates = [c for c in columns if c not in key]
        conflict = "DO NOTHING" if not updates else "DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in updates)
        self.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                     f"ON CONFLICT ({', '.join(key)}) {conflict}", [values[c] for c in columns])

    def execute(self, statement: str, params: Sequence[Any]) -> None:
        """A write of the projection's own tables that the methods here do not make."""
        self._cursor.execute(statement, params)

    def update(self, table: str, where: dict[str, Any], values: dict[str, Any]) -> None:
        sets = ", ".join(f"{c}=?" for c in values)
        conditions = " AND ".join(f"{c}=?" for c in where)
        self.execute(f"UPDATE {table} SET {sets} WHERE {conditions}", [*values.values(), *where.values()])

    def find(self, table: str, where: dict[str, Any]) -> dict[str, Any] | None:
        found = self.find_all(table, where)
        return found[0] if found else None

    def find_all(self, table: str, where: dict[str, Any]) -> list[dict[str, Any]]:
        conditions = " AND ".join(f"{c}=?" for c in where)
        return self._cursor.query(f"SELECT * FROM {table} WHERE {conditions}", list(where.values()))

    def delete(self, table: str, where: dict[str, Any]) -> None:
        conditions = " AND ".join(f"{c}=?" for c in where)
        self.execute(f"DELETE FROM {table} WHERE {conditions}", list(where.values()))


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
