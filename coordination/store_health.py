"""Bounded waits on PostgreSQL: a store that does not answer costs a request at most one bounded wait, then 503s.

Each process keeps one circuit per database server, shared by every pool on it (the ledger, the read models,
the audit trail). It opens when a connection cannot be made, when no pooled connection comes within the bound,
or when the server leaves one exchange unanswered for that long. While it is open, a caller first re-checks the
server with a probe (one at a time; it waits for it at most PROBE_WAIT_SECONDS) and, unless the probe reaches
it, is refused with `StoreUnavailable` (503 with Retry-After). A refused connection is refused in a millisecond,
so a store that is back serves the very next request; a server that does not answer costs a caller at most
PROBE_WAIT_SECONDS. The probe that reaches the server drains the pools of the connections that lived through
the outage before it closes the circuit (docs/architecture.md, "Bounded waits").
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from typing import Any

import psycopg
from eventsourcing.postgres import ConnectionPool
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from coordination.errors import StoreUnavailable

log = logging.getLogger(__name__)
PROBE_WAIT_SECONDS = 0.5
PROBE_CONNECT_SECONDS = 2
# A request waiting for a pooled connection looks at the circuit this often, so a failure seen elsewhere
# (a refused connection, a statement left unanswered) releases it at once rather than at the end of its wait.
WAIT_SLICE_SECONDS = 0.05
# The pool retries a connection attempt that failed once, at once, then frees the slot (psycopg_pool would back
# off exponentially for 5 minutes, and keep the request that comes once the server is back waiting its turn):
# the next request that needs a connection makes it afresh, and the circuit keeps requests off a server known down.
RECONNECT_SECONDS = 0.0
_SERVER = ("host", "port", "dbname", "user")


def unavailable(store: str) -> StoreUnavailable:
    return StoreUnavailable(f"the {store} store is unreachable; retry shortly")


class Circuit:
    """Whether one database server answers, as this process last saw it."""

    def __init__(self, name: str, conninfo: dict[str, Any], wait: float):
        self.name = name
        self._conninfo = conninfo
        self._wait = wait
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._probing = False
        self._pools: weakref.WeakSet[BoundedPool] = weakref.WeakSet()

    @property
    def up(self) -> bool:
        """Whether the server is held reachable (no I/O, no probe)."""
        return self._down_since is None

    @property
    def reachable(self) -> bool:
        """Whether the server is held reachable; if not, a probe is started (not waited for)."""
        return self.answers(within=0)

    def refuse_if_unreachable(self, store: str) -> None:
        if not self.answers(within=PROBE_WAIT_SECONDS):
            raise unavailable(store)

    def answers(self, *, within: float) -> bool:
        """True if the server is held reachable, or a probe this call starts reaches it within `within` seconds.

        While another caller's probe is in flight the answer is no at once: a server that leaves connections
        unanswered costs one caller a probe's wait at a time, not every caller.
        """
        if self._down_since is None:
            return True
        with self._lock:
            if self._down_since is None:
                return True
            if self._probing:
                return False
            self._probing = True
            done = threading.Event()
        threading.Thread(target=self._run_probe, args=(done,), name=f"probe {self.name}", daemon=True).start()
        if within > 0:
            done.wait(within)
        return self._down_since is None

    def mark_unreachable(self, reason: str) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("PostgreSQL at %s is unreachable (%s): its stores answer 503 until a probe reaches it",
                            self.name, reason)

    def register(self, pool: BoundedPool) -> None:
        with self._lock:
            self._pools.add(pool)

    def unregister(self, pool: BoundedPool) -> None:
        with self._lock:
            self._pools.discard(pool)

    def _run_probe(self, done: threading.Event) -> None:
        try:
            if self._answers():
                with self._lock:
                    pools = list(self._pools)
                for pool in pools:
                    with contextlib.suppress(Exception):  # a pool closed meanwhile has nothing to drain
                        pool.drain()
                with self._lock:
                    down_for = time.monotonic() - (self._down_since or time.monotonic())
                    self._down_since = None
                log.warning("PostgreSQL at %s answers again after %.1f s", self.name, down_for)
        finally:
            with self._lock:
                self._probing = False
            done.set()

    def _answers(self) -> bool:
        try:
            with bounded_connection_class(self, "probe", self._wait).connect(**self._conninfo) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - any failure means not yet
            return False


_circuits: dict[tuple[str, ...], Circuit] = {}
_circuits_lock = threading.Lock()


def circuit_for(kwargs: dict[str, Any], wait: float) -> Circuit:
    """The circuit of the server these connection parameters name (one per server in a process)."""
    key = tuple(str(kwargs.get(k, "")) for k in _SERVER)
    with _circuits_lock:
        circuit = _circuits.get(key)
        if circuit is None:
            # The probe gives up connecting after 2 s (libpq's least), whatever POSTGRES_CONNECT_TIMEOUT says:
            # while it is in flight other callers are refused, so it must not outlast a store that came back.
            conninfo = {k: kwargs[k] for k in (*_SERVER, "password") if k in kwargs}
            conninfo["connect_timeout"] = PROBE_CONNECT_SECONDS
            circuit = _circuits[key] = Circuit(f"{key[0]}:{key[1]}/{key[2]}", conninfo, wait)
        return circuit


class BoundedConnection(psycopg.Connection[Any]):
    """A connection that waits at most `wait` seconds for the server's answer to any one exchange.

    Past that the exchange is abandoned and the connection closed (it is half way through a protocol exchange
    and can serve no one), the server's circuit opens, and StoreUnavailable is raised. Calls that give their own
    timeout (LISTEN's `notifies`) keep it.
    """

    circuit: Circuit
    store: str
    wait_seconds: float

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.wait_seconds)
        except pg_errors._WaitTimeout:  # psycopg's own "no answer within timeout"
            self.pgconn.finish()
            self.circuit.mark_unreachable(f"no answer within {self.wait_seconds:g} s")
            raise unavailable(self.store) from None


def bounded_connection_class(circuit: Circuit, store: str, wait: float) -> type[BoundedConnection]:
    """The connection class for one store's connections: its bound and the circuit it reports to."""
    return type("BoundedConnection", (BoundedConnection,), {"circuit": circuit, "store": store, "wait_seconds": wait})


class BoundedPool(ConnectionPool[Any]):
    """A connection pool that never keeps a caller waiting longer than `wait` and refuses at once while down.

    A refused or timed-out connection attempt opens the circuit; a connection returned broken while the server
    seemed up drains the pool, so that the connections that died with it are not handed out one by one.
    """

    def __init__(self, *, kwargs: dict[str, Any], store: str, wait: float, **options: Any):
        self.store = store
        self.circuit = circuit_for(kwargs, wait)
        self._registered = False
        super().__init__(kwargs=kwargs, connection_class=bounded_connection_class(self.circuit, store, wait),
                         timeout=wait, reconnect_timeout=RECONNECT_SECONDS, open=False, **options)

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        # eventsourcing opens its pool before every use: the circuit needs to learn of it once, to drain it.
        super().open(wait, timeout)
        if not self._registered:
            self._registered = True
            self.circuit.register(self)

    def close(self, timeout: float = 5.0) -> None:
        self.circuit.unregister(self)
        super().close(timeout)

    def getconn(self, timeout: float | None = None) -> Any:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            self.circuit.refuse_if_unreachable(self.store)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.circuit.mark_unreachable(f"no connection within {limit:g} s")
                raise unavailable(self.store)
            with contextlib.suppress(PoolTimeout):
                return super().getconn(timeout=min(WAIT_SLICE_SECONDS, remaining))

    def putconn(self, conn: Any) -> None:
        died = conn.broken and self.circuit.up
        super().putconn(conn)
        if died:
            self.drain()

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            return super()._connect(timeout)
        except Exception as error:
            self.circuit.mark_unreachable(f"cannot connect: {error}".strip())
            raise


def bound_datastore(datastore: Any, *, store: str, wait: float) -> None:
    """Give an eventsourcing PostgresDatastore a BoundedPool in place of the pool it made (not yet opened).

    Its recorders retry OperationalError ten times, 0.2 s apart; StoreUnavailable is not one, so a refusal
    here reaches the use case at once.
    """
    made = datastore.pool
    datastore.pool = BoundedPool(
        kwargs={**made.kwargs, "connect_timeout": max(2, round(made.timeout))},
        store=store,
        wait=wait,
        min_size=made.min_size,
        max_size=made.max_size,
        configure=datastore.after_connect_func(),
        check=ConnectionPool.check_connection if datastore.pre_ping else None,
        max_waiting=made.max_waiting,
        max_lifetime=made.max_lifetime,
        get_password_func=made.get_password_func,
    )
