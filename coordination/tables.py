"""Our own tables (read models and their positions, the audit trail, chain anchors) on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from coordination.errors import StoreUnavailable
from coordination.store_health import BoundedPool
from coordination.wal_checkpoints import defer_checkpoints


class DatabaseUnavailable(Exception):
    """The database cannot be reached or stayed locked too long."""


class Lease:
    """Proof of holding a named lock across processes until released (one active projection worker)."""

    def __init__(self, release: Any):
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


class Cursor:
    """A cursor that takes `?` placeholders on both stores and returns rows as dicts."""

    def __init__(self, raw: Any, dialect: str):
        self._raw = raw
        self.dialect = dialect

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Cursor:
        self._raw.execute(self._sql(statement), tuple(params))
        return self

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        """Within it, PostgreSQL is sent each statement at once and answers them all at the end (or at a `query`),
        so the server works on the writes while the caller prepares the next ones; SQLite runs them as they come.
        Results of `execute` are not to be read within it (rowcount neither): `query` reads."""
        if self.dialect != "postgres":
            yield
            return
        with self._raw.connection.pipeline():
            yield

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a SELECT, after every statement sent before it (in a pipeline: one round trip for them all)."""
        if self.dialect != "postgres":
            return [dict(r) for r in self._raw.execute(statement, tuple(params)).fetchall()]
        # A cursor of its own: in a pipeline each cursor holds the results of what it sent.
        with self._raw.connection.cursor() as reader:
            reader.execute(self._sql(statement), tuple(params))
            return [dict(r) for r in reader.fetchall()]

    def fetchone(self) -> dict[str, Any] | None:
        row = self._raw.fetchone()
        return None if row is None else dict(row)

    def fetchall(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._raw.fetchall()]

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    def serialise(self, name: str) -> None:
        """Hold a lock named `name` until the transaction ends (SQLite's IMMEDIATE write lock already does)."""
        if self.dialect == "postgres":
            # Advisory locks are database-wide; the schema keeps two deployments in one database apart.
            self._raw.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || %s))", (name,))


class SQLiteDatabase:
    """A SQLite file in WAL mode; each thread keeps its own connection; writers take the lock up front.

    A writer waits at most `timeout` seconds for the lock (PATHWAYS_STORE_WAIT_SECONDS), then the store is
    unavailable for this operation.
    """

    dialect = "sqlite"
    reachable = True  # a local file: a lock held too long fails that operation, never the next ones

    def __init__(self, path: Path, *, synchronous: str = "FULL", timeout: float = 2.0):
        self.path = path
        self.synchronous = synchronous
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.timeout)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            defer_checkpoints(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Cursor]:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except (sqlite3.OperationalError, OSError) as error:
            raise DatabaseUnavailable(str(error)) from error
        try:
            yield Cursor(conn.cursor(), self.dialect)
        except BaseException:
            conn.rollback()
            raise
        try:
            conn.commit()
        except sqlite3.OperationalError as error:
            conn.rollback()  # never leave this thread's connection inside a failed transaction
            raise DatabaseUnavailable(str(error)) from error

    def try_lead(self, name: str) -> Lease | None:
        """Take the named lock if no other process holds it; an exclusive flock beside the database file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.parent / f"{name}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        return Lease(handle.close)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresDatabase:
    """A pool of PostgreSQL connections whose search_path is the deployment's schema.

    `timeout` bounds each wait: for a pooled connection, and for the server's answer to any one exchange
    (coordination/store_health.py); past it, or while the server's circuit is open, the database is unavailable.
    """

    dialect = "postgres"

    def __init__(self, *, conninfo: dict[str, Any], schema: str, max_size: int, timeout: float, store: str = "read"):
        self.schema = schema
        self._conninfo = {"connect_timeout": max(2, round(timeout)), **conninfo}
        self._listener: psycopg.Connection[Any] | None = None
        # Every statement is planned for its own values: psycopg prepares a statement after five runs, and a
        # generic plan made while a read model's table was nearly empty (a new deployment, a rebuild) scans the
        # whole table on every later write. It did: folding 20k operations took a minute, not five seconds.
        options = f"-c search_path={schema} -c plan_cache_mode=force_custom_plan"
        self.pool = BoundedPool(
            kwargs={**self._conninfo, "options": options, "row_factory": dict_row,
                    "autocommit": True},
            store=store,
            wait=timeout,
            min_size=1,
            max_size=max_size,
        )
        # Connections outside the pool (LISTEN, the worker's lock) are bounded the same way.
        self._connection_class = self.pool.connection_class
        self._opened = False
        self._open_lock = threading.Lock()

    def _ensure_open(self) -> None:
        with self._open_lock:
            if not self._opened:
                self.pool.open(wait=False)
                self._opened = True

    @property
    def reachable(self) -> bool:
        """False while this process holds the server unreachable (its circuit is open); no I/O."""
        return self.pool.circuit.reachable

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Cursor]:
        self._ensure_open()
        try:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as raw:
                yield Cursor(raw, self.dialect)
        except (psycopg.OperationalError, StoreUnavailable) as error:
            raise DatabaseUnavailable(str(error)) from error

    def wait_for_notification(self, channel: str, timeout: float) -> bool:
        """Block until a NOTIFY on `channel` (the ledger sends one per save) or `timeout`; True if notified."""
        try:
            if self._listener is None:
                self.pool.circuit.refuse_if_unreachable(self.pool.store)
                self._listener = self._connection_class.connect(**self._conninfo, autocommit=True)
                self._listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            woken = any(True for _ in self._listener.notifies(timeout=timeout, stop_after=1))
            if woken:
                # One catch-up folds every write so far: the backlog of notifications is spent with it.
                for _ in self._listener.notifies(timeout=0):
                    pass
            return woken
        except (psycopg.Error, StoreUnavailable):
            # A lost listener is replaced on the next call; meanwhile the caller's polling carries on.
            self._close_listener()
            time.sleep(timeout)
            return False

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None

    def try_lead(self, name: str) -> Lease | None:
        """Take the named advisory lock if free; a dedicated session holds it, so it dies with the process."""
        # Advisory locks are database-wide: the schema keeps two deployments in one database apart.
        key = f"{self.schema}:{name}"
        try:
            self.pool.circuit.refuse_if_unreachable(self.pool.store)
            conn = self._connection_class.connect(**self._conninfo, autocommit=True)
        except (psycopg.OperationalError, StoreUnavailable) as error:
            raise DatabaseUnavailable(str(error)) from error
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
            taken = bool(row and row[0])
        except (psycopg.Error, StoreUnavailable) as error:
            conn.close()
            raise DatabaseUnavailable(str(error)) from error
        if not taken:
            conn.close()
            return None

        def release() -> None:
            # Unlock before closing: a closed session's locks are freed only once the server notices.
            with contextlib.suppress(psycopg.Error, StoreUnavailable):
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
            conn.close()

        return Lease(release)

    def close(self) -> None:
        self._close_listener()
        if self._opened:
            self.pool.close()
            self._opened = False
