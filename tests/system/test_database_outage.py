"""A PostgreSQL outage while serving: requests answer 503 with Retry-After within 5 s, and recover when it returns.

Every PostgreSQL connection of the app under test passes through a TCP proxy that the test can cut (a stopped
server: connections dropped and refused) or blackhole (a partitioned network: connections accepted, never
answered). The bound asserted is the issue's own: no request waits 5 s on an unreachable store.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from api import create_app
from coordination import bootstrap
from coordination.config import Settings
from tests.conftest import PG, POSTGRES_UP, REQUIRE_POSTGRES, auth, drop_schema
from tests.system.tcp_proxy import Proxy

pytestmark = pytest.mark.system
BOUND_SECONDS = 5.0  # the longest any request may wait on an unreachable store
RECOVERY_SECONDS = 3.0  # the longest writes may keep failing once the store is back
WRITERS = 8


def require_postgres() -> None:
    if not POSTGRES_UP:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")


def proxied(tmp_path: Path, **env: str):
    """Migrated services whose every PostgreSQL connection goes through a proxy; yields (services, proxy)."""
    require_postgres()
    proxy = Proxy((PG["host"], int(PG["port"])))
    proxy.start()
    # Unique per fixture: a name taken from the temporary directory ("outage0") is the same in every xdist
    # worker, and one worker's teardown dropped the schema another was writing to (500s, and a deadlock).
    schema = f"t_outage_{uuid.uuid4().hex[:16]}"
    settings = Settings.from_env({
        "PATHWAYS_STORE": "postgres", "PATHWAYS_DATA_DIR": str(tmp_path), "POSTGRES_DBNAME": PG["dbname"],
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(proxy.port), "POSTGRES_USER": PG["user"],
        "POSTGRES_PASSWORD": PG["password"], "POSTGRES_SCHEMA": schema, "POSTGRES_CONNECT_TIMEOUT": "1",
        "PATHWAYS_AUTH_DEV_SECRET": "test-secret-of-at-least-16-chars", **env,
    })
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    try:
        yield services, proxy
    finally:
        proxy.cut()
        services.close()
        drop_schema(schema)


@pytest.fixture
def outage(tmp_path):
    """An app whose every PostgreSQL connection passes through a proxy the test can cut and restore."""
    yield from proxied(tmp_path)


def open_case(client, agency: str = "HSI"):
    return client.post("/api/v1/investigations", json={"title": "T", "threat_domain": "cybercrime"},
                       headers=auth(agency=agency))


def timed(call):
    """(response, seconds); a call still waiting at twice the bound is abandoned: (None, its wait so far)."""
    answered: list = []
    started = time.monotonic()
    waiting = threading.Thread(target=lambda: answered.append(call()), daemon=True)
    waiting.start()
    waiting.join(timeout=2 * BOUND_SECONDS)
    return (answered[0] if answered else None), time.monotonic() - started


def is_retry_later(response) -> bool:
    """A 503 problem with Retry-After (None: no answer came at all)."""
    if response is None:
        return False
    return (response.status_code, response.mimetype, bool(response.headers.get("Retry-After"))) == (
        503, "application/problem+json", True)


def first_success_after(client, since: float) -> float:
    """Write until one succeeds; how long after `since` it was answered."""
    while True:
        response, _ = timed(lambda: open_case(client))
        if response is not None and response.status_code == 201:
            return time.monotonic() - since
        assert is_retry_later(response)
        if time.monotonic() - since > 2 * RECOVERY_SECONDS:
            return time.monotonic() - since
        time.sleep(0.05)


def test_a_write_during_an_outage_is_a_503_with_retry_after_and_a_write_after_it_succeeds(outage):
    services, proxy = outage
    client = create_app({"SERVICES": services}).test_client()
    assert open_case(client).status_code == 201
    proxy.cut()
    during = open_case(client)
    proxy.start()
    after = open_case(client)
    assert is_retry_later(during)
    assert after.status_code == 201 and after.get_json()["case_number"].endswith("-00002")


def test_an_app_started_while_the_database_is_down_serves_once_it_is_back(outage):
    services, proxy = outage
    settings = services.settings
    proxy.cut()
    cold = bootstrap.build(settings)  # a gunicorn worker booting during the outage
    try:
        client = create_app({"SERVICES": cold}).test_client()
        during = open_case(client)
        proxy.start()
        after = open_case(client)
    finally:
        cold.close()
    assert during.status_code == 503 and after.status_code == 201


# A stop in the middle of load: WRITERS threads open cases without pause (each for its own agency, so that they
# do not race for one case-number sequence); the database is cut for longer than the bound, then restored.
# The tests below read one such run, each for one behaviour.


@dataclass
class Call:
    started: float
    seconds: float
    status: int
    retry_later: bool
    agency: str
    case_id: str | None


@dataclass
class Run:
    calls: list[Call] = field(default_factory=list)
    stopped_at: float = 0.0
    back_at: float = 0.0
    found_after: dict[str, int] = field(default_factory=dict)  # case id -> status of reading it back

    def between(self, start: float, end: float) -> list[Call]:
        return [c for c in self.calls if c.started >= start and c.started + c.seconds <= end]


@pytest.fixture(scope="module")
def stopped_mid_load(tmp_path_factory):
    for services, proxy in proxied(tmp_path_factory.mktemp("outage")):
        yield load_through_a_stop(services, proxy)


def load_through_a_stop(services, proxy, *, before=0.5, stopped=BOUND_SECONDS + 1, after=2.0) -> Run:
    app = create_app({"SERVICES": services})
    run, lock, done = Run(), threading.Lock(), threading.Event()
    waiting_since: dict[str, float] = {}

    def writer(agency: str) -> None:
        client = app.test_client()
        while not done.is_set():
            started = waiting_since[agency] = time.monotonic()
            response = open_case(client, agency)
            call = Call(started, time.monotonic() - started, response.status_code, is_retry_later(response),
                        agency, response.get_json()["id"] if response.status_code == 201 else None)
            with lock:
                run.calls.append(call)
                del waiting_since[agency]

    threads = [threading.Thread(target=writer, args=(f"W{n}",), daemon=True) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(before)
    proxy.cut()
    run.stopped_at = time.monotonic()
    time.sleep(stopped)
    proxy.start()
    run.back_at = time.monotonic()
    time.sleep(after)
    done.set()
    give_up = time.monotonic() + 2 * BOUND_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    with lock:  # a write still waiting now counts with its wait so far
        run.calls += [Call(since, time.monotonic() - since, 0, False, agency, None)
                      for agency, since in waiting_since.items()]
        if waiting_since:
            return run
    client = app.test_client()
    run.found_after = {
        c.case_id: client.get(f"/api/v1/investigations/{c.case_id}", headers=auth(agency=c.agency)).status_code
        for c in run.calls if c.case_id
    }
    return run


def test_no_write_waits_5_seconds_while_the_database_stops_mid_load(stopped_mid_load):
    slowest = max(c.seconds for c in stopped_mid_load.calls)
    assert slowest < BOUND_SECONDS


def test_writes_while_the_database_is_stopped_answer_503_problems_with_retry_after(stopped_mid_load):
    during = stopped_mid_load.between(stopped_mid_load.stopped_at, stopped_mid_load.back_at)
    assert during and all(c.retry_later for c in during)


def test_every_write_around_a_database_stop_is_either_created_or_told_to_retry(stopped_mid_load):
    assert {c.status for c in stopped_mid_load.calls} <= {201, 503}
    assert all(c.retry_later for c in stopped_mid_load.calls if c.status == 503)


def test_writes_succeed_again_within_3_seconds_of_the_database_returning(stopped_mid_load):
    run = stopped_mid_load
    answered = [c.started + c.seconds for c in run.calls if c.status == 201 and c.started >= run.back_at]
    assert answered and min(answered) - run.back_at < RECOVERY_SECONDS


def test_every_write_acknowledged_around_a_database_stop_is_still_there(stopped_mid_load):
    found = stopped_mid_load.found_after
    still_waiting = [c for c in stopped_mid_load.calls if c.status == 0]
    assert found and set(found.values()) == {200}, (still_waiting, found)


# A blackholed database: connections are accepted (or stay open) but nothing comes back.


def test_a_write_to_a_database_that_stopped_answering_is_a_503_with_retry_after_within_5_seconds(outage):
    services, proxy = outage
    client = create_app({"SERVICES": services}).test_client()
    assert open_case(client).status_code == 201
    proxy.blackhole()  # the pooled connections stay open, their next statement is never answered
    during, seconds = timed(lambda: open_case(client))
    assert is_retry_later(during) and seconds < BOUND_SECONDS


def test_a_write_after_a_database_that_stopped_answering_returns_succeeds_within_3_seconds(outage):
    services, proxy = outage
    client = create_app({"SERVICES": services}).test_client()
    assert open_case(client).status_code == 201
    proxy.blackhole()
    assert is_retry_later(timed(lambda: open_case(client))[0])
    proxy.start()
    assert first_success_after(client, time.monotonic()) < RECOVERY_SECONDS


@pytest.fixture
def patient_outage(tmp_path):
    """As `outage`, but every store operation may wait 10 s: whatever touches the store shows as a long wait."""
    yield from proxied(tmp_path, PATHWAYS_STORE_WAIT_SECONDS="10")


def test_readiness_is_503_at_once_when_the_database_was_already_seen_unreachable(patient_outage):
    services, proxy = patient_outage
    client = create_app({"SERVICES": services}).test_client()
    assert client.get("/readyz").status_code == 200
    proxy.cut()
    assert open_case(client).status_code == 503
    proxy.blackhole()  # were readiness to ask the store again, it would wait out the 10 s bound
    ready, seconds = timed(lambda: client.get("/readyz"))
    assert ready is not None and (ready.status_code, bool(ready.headers.get("Retry-After"))) == (503, True)
    assert seconds < BOUND_SECONDS


def test_readiness_is_ready_again_once_the_database_is_back(outage):
    services, proxy = outage
    client = create_app({"SERVICES": services}).test_client()
    proxy.cut()
    assert client.get("/readyz").status_code == 503
    proxy.start()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/readyz").status_code == 200
