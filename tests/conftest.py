"""Fixtures shared by every test: a real store per test (SQLite file or PostgreSQL schema), the app, tokens."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from coordination import bootstrap
from coordination.config import Settings
from coordination.tokens import mint_dev_token

DEV_SECRET = "test-secret-of-at-least-16-chars"
PG = {"dbname": os.environ.get("POSTGRES_DBNAME", "test"), "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
      "port": os.environ.get("POSTGRES_PORT", "5432"), "user": os.environ.get("POSTGRES_USER", "postgres"),
      "password": os.environ.get("POSTGRES_PASSWORD", "")}


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(**PG, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


POSTGRES_UP = _postgres_reachable()
REQUIRE_POSTGRES = os.environ.get("PATHWAYS_REQUIRE_POSTGRES") == "1"


def store_env(store: str, tmp_path: Path, schema: str) -> dict[str, str]:
    """The environment a deployment on `store` would have, pointed at this test's own store."""
    env = {"PATHWAYS_STORE": store, "PATHWAYS_DATA_DIR": str(tmp_path / "data"), "PATHWAYS_AUTH_DEV_SECRET": DEV_SECRET,
           "PATHWAYS_READ_WAIT_MAX_SECONDS": "30"}  # generous: a loaded CI machine must not fail a test
    if store == "postgres":
        env.update({f"POSTGRES_{k.upper()}": str(v) for k, v in PG.items()}, POSTGRES_SCHEMA=schema)
    return env


def drop_schema(schema: str, attempts: int = 5) -> None:
    """Drop a test's schemas, retrying when PostgreSQL picks the drop as a deadlock's victim.

    A test that cuts the app's connections can leave a server backend finishing a statement it received
    before the cut; the drop's table locks can cross that statement's, and the drop is the one aborted.
    """
    for attempt in range(attempts):
        try:
            with psycopg.connect(**PG, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_audit" CASCADE')
            return
        except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not POSTGRES_UP:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    return request.param


@pytest.fixture
def env(store: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield store_env(store, tmp_path, schema)
    if store == "postgres":
        drop_schema(schema)


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def services(settings: Settings) -> Iterator[bootstrap.Services]:
    bootstrap.migrate(settings)
    built = bootstrap.build(settings)
    yield built
    built.close()


@pytest.fixture
def worker(services: bootstrap.Services) -> Iterator[threading.Thread]:
    """The projection worker, following the ledger in a thread as `pathways worker` does in its process."""
    stop = threading.Event()
    thread = threading.Thread(target=services.projections.run_forever, args=(stop, 0.02), daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def sqlite_services(tmp_path: Path) -> Iterator[bootstrap.Services]:
    """Migrated services on a SQLite store, for what only the embedded store has (its file locks, its log)."""
    settings = Settings.from_env(store_env("sqlite", tmp_path, schema=""))
    bootstrap.migrate(settings)
    built = bootstrap.build(settings)
    yield built
    built.close()


@pytest.fixture
def app(services: bootstrap.Services):
    from api import create_app

    return create_app({"SERVICES": services, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def token(sub: str = "alice", agency: str = "HSI", roles: tuple[str, ...] = ("agent",), name: str = "") -> str:
    settings = Settings.from_env({"PATHWAYS_STORE": "sqlite", "PATHWAYS_DATA_DIR": "/tmp",
                                  "PATHWAYS_AUTH_DEV_SECRET": DEV_SECRET})
    return mint_dev_token(settings.auth, sub=sub, agency=agency, roles=roles, name=name or sub.title())


def auth(
    sub: str = "alice", agency: str = "HSI", roles: tuple[str, ...] = ("agent",), **headers: str
) -> dict[str, str]:
    """Headers of a request by `sub` of `agency` with `roles`, plus any extra headers (underscores become dashes)."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    return {"Authorization": f"Bearer {token(sub, agency, roles)}", **extra}
