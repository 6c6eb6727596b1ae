"""The ledger: one eventsourcing application, one totally ordered log for every aggregate (DESIGN.md §3)."""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, OriginatorVersionError, Snapshot
from eventsourcing.persistence import InfrastructureFactory, MapperDeserialisationError, Recording
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment, TopicError

from coordination.config import Settings
from coordination.store_health import bound_datastore
from coordination.wal_checkpoints import defer_checkpoints
from domain.area_index import AreaIndex
from domain.case_numbers import CaseNumberSequence
from domain.investigation import Investigation
from domain.resource_schedule import ResourceSchedule
from domain.target_index import TargetIndex

log = logging.getLogger(__name__)


# What reading a record raises when its stored events were altered outside Pathways: an event that cannot be
# decrypted or decoded (a flipped byte), a missing one (the versions skip), a topic that names no class.
UNREADABLE = (MapperDeserialisationError, OriginatorVersionError, TopicError)


class Ledger(Application):
    """Every aggregate of Pathways, stored in one log; snapshots keep long cases quick to load.

    The library connects while it constructs an application (PostgreSQL type adapters), so the ledger
    defers that to first use: a process can start while the database is down and answer 503 until it is back.
    On PostgreSQL its pool bounds every wait (PATHWAYS_STORE_WAIT_SECONDS) and shares its server's circuit.
    """

    name = "Ledger"
    # Every aggregate type that grows: a case with its entries, an agency-year's counter with every case opened.
    # The counter is loaded by every opening and its snapshot is a few fields: every 50 events keeps a fresh
    # worker's opening within 2x of the first on SQLite too (200 gave 2.3x; docs/benchmarks.md).
    # An index record of deconfliction gains an entry per plan in its cell and day, and every check near it
    # decodes each event past its snapshot again: 20 keeps that replay short, and its snapshot is taken from
    # the record in hand (below), so a shorter interval costs one insert, not a reload.
    # A resource's schedule gains an event per commitment and per release: 50 keeps its replay short.
    snapshotting_intervals = {Investigation: 200, CaseNumberSequence: 50, AreaIndex: 20, TargetIndex: 20,
                              ResourceSchedule: 50}

    def __init__(self, env: dict[str, str] | None = None):
        self._deferred_env = env
        self._construction = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the infrastructure that construction creates.
        if name.startswith("__") or name in ("_deferred_env", "_construction"):
            raise AttributeError(name)
        self._construct()
        return object.__getattribute__(self, name)

    def _construct(self) -> None:
        with self._construction:
            if "recorder" in self.__dict__:
                return
            try:
                super().__init__(self._deferred_env)
            except Exception:
                self._discard_partial_construction()
                raise

    def _discard_partial_construction(self) -> None:
        factory = self.__dict__.get("factory")
        if factory is not None:
            factory.close()
        for name in ("closing", "env", "factory", "mapper", "recorder", "events", "snapshots"):
            self.__dict__.pop(name, None)

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        if isinstance(factory, PostgresFactory):
            wait = float(env.get(STORE_WAIT) or Settings.store_wait)
            bound_datastore(factory.datastore, store="event", wait=wait)
        elif isinstance(factory, SQLiteFactory):
            _defer_checkpoints(factory.datastore.pool)
        return factory

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:
        """Save as the library does, collecting each aggregate's events without its runtime Protocol checks.

        The library asks of every object saved whether it is a domain event and then whether it can collect
        events (two runtime Protocol checks, ~30 µs each on Python 3.11): a plan saves some twenty records, so
        that was ~7 % of its time (docs/benchmarks.md). An Aggregate is known to collect; anything else is
        handed to the library's own collection.
        """
        processing_event: ProcessingEvent[Any] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[Any]) -> None:
        """Snapshot index records from the records just saved; the rest as the library does.

        The library reloads an aggregate from the store to snapshot it (its previous snapshot and every event
        since). An index record just saved is in hand, whole, at the version it was saved at, and it has no
        state outside its events: its snapshot is taken from it, and all of one save's go in one insert.
        """
        aggregates, rest, due = processing_event.aggregates, ProcessingEvent[Any](), set()
        rest.aggregates = aggregates
        for event in processing_event.events:
            aggregate = aggregates.get(event.originator_id)
            if not isinstance(aggregate, SNAPSHOT_IN_HAND):
                rest.events.append(event)
            elif event.originator_version % self.snapshotting_intervals[type(aggregate)] == 0:
                due.add(event.originator_id)
        if due and self.snapshots is not None:
            # Encoded now: the record may change once the command is done with it, its snapshot must not.
            stored = [self.snapshots.mapper.to_stored_event(Snapshot.take(aggregates[i])) for i in sorted(due)]
            self._snapshot_writer().submit(self._put_snapshots, stored)
        super()._take_snapshots(rest)

    def _snapshot_writer(self) -> ThreadPoolExecutor:
        # One thread per process writes index records' snapshots after the command has answered: a snapshot is
        # a shortcut for later reads, its own commit need not delay the plan that crossed the interval.
        with self._construction:
            if "_snapshots_pending" not in self.__dict__:
                self._snapshots_pending = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-snapshots")
            return self._snapshots_pending

    def _put_snapshots(self, stored: list[Any]) -> None:
        try:
            assert self.snapshots is not None
            self.snapshots.recorder.insert_events(stored)
        except Exception:  # a lost snapshot costs the next reader a longer replay, nothing else
            log.warning("an index snapshot was not written; its record replays a little more", exc_info=True)

    def settle(self) -> None:
        """Wait until the snapshots taken so far are written (before closing, and for tests)."""
        writer = self.__dict__.get("_snapshots_pending")
        if writer is not None:
            writer.submit(lambda: None).result()

    @property
    def constructed(self) -> bool:
        return "recorder" in self.__dict__

    @property
    def reachable(self) -> bool:
        """False once this process saw the ledger's PostgreSQL server unreachable, until a probe reaches it (no I/O)."""
        datastore = getattr(self.__dict__.get("factory"), "datastore", None)
        circuit = getattr(getattr(datastore, "pool", None), "circuit", None)
        return circuit is None or circuit.reachable

    def close(self) -> None:
        writer = self.__dict__.pop("_snapshots_pending", None)
        if writer is not None:
            writer.shutdown(wait=True)
        if self.constructed:
            super().close()

    def max_position(self) -> int:
        """The position of the last event recorded in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0


def _defer_checkpoints(pool: Any) -> None:
    """Each connection the library's SQLite pool makes leaves checkpoints to coordination.wal_checkpoints."""
    make = pool._create_connection

    def create_connection() -> Any:
        connection = make()
        defer_checkpoints(connection._sqlite_conn)
        return connection

    pool._create_connection = create_connection


STORE_WAIT = "PATHWAYS_STORE_WAIT_SECONDS"
# Records whose snapshot is taken from the aggregate just saved (Ledger._take_snapshots).
SNAPSHOT_IN_HAND = (AreaIndex, TargetIndex)


def ledger_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing environment for the configured store; nothing is left to the library's defaults."""
    env: dict[str, Any] = {"CREATE_TABLE": "y" if create_tables else "n", STORE_WAIT: str(settings.store_wait)}
    if settings.aggregate_cache_size > 0:
        # The library reads 0 as "unbounded"; ours means no cache at all, so the variable is left unset.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    if settings.store == "sqlite":
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        env["SQLITE_DBNAME"] = str(settings.data_dir / "ledger.db")
        # Whole seconds only: the library reads an int.
        env["SQLITE_LOCK_TIMEOUT"] = str(math.ceil(settings.store_wait))
    else:
        pg = settings.postgres
        assert pg is not None
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=pg.dbname,
            POSTGRES_HOST=pg.host,
            POSTGRES_PORT=str(pg.port),
            POSTGRES_USER=pg.user,
            POSTGRES_PASSWORD=pg.password,
            POSTGRES_SCHEMA=pg.schema,
            POSTGRES_CONNECT_TIMEOUT=str(max(1, round(pg.connect_timeout))),
            POSTGRES_POOL_SIZE=str(pg.pool_size),
            POSTGRES_MAX_OVERFLOW=str(pg.max_overflow),
            POSTGRES_ENABLE_DB_FUNCTIONS="n",
        )
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
        env["COMPRESSOR_TOPIC"] = "eventsourcing.compressor:ZlibCompressor"
    return env

