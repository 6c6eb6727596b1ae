"""A case whose stored events were altered behind Pathways' back: the break is named, never a stack trace.

Each test reads through a second deployment on the same store (as another gunicorn worker, or one restarted,
would): the one that wrote the case holds it in its cache and never reads the stored events again.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api import create_app
from coordination import bootstrap
from tests.api.support import as_, open_case, problem, write
from tests.conftest import PG

KEY = base64.b64encode(b"d" * 32).decode()


@pytest.fixture(params=["keyed", "clear"])
def env(env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    return {**env, "PATHWAYS_CIPHER_KEY": KEY} if request.param == "keyed" else env


def flip_a_byte(settings: Any, case_id: str, version: int) -> None:
    """Change one byte of a stored event's state, as an insider with access to the database might."""
    if settings.store == "sqlite":
        with sqlite3.connect(settings.data_dir / "ledger.db") as conn:
            key = (case_id.replace("-", ""), version)
            (state,) = conn.execute("SELECT state FROM stored_events WHERE originator_id = ? AND "
                                    "originator_version = ?", key).fetchone()
            middle = len(state) // 2
            changed = state[:middle] + bytes([state[middle] ^ 1]) + state[middle + 1:]
            conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                         (changed, *key))
    else:
        table = f'"{settings.postgres.schema}".ledger_events'
        with psycopg.connect(**PG, autocommit=True) as conn:
            conn.execute(f"UPDATE {table} SET state = set_byte(state, length(state) / 2, "
                         f"get_byte(state, length(state) / 2) # 1) WHERE originator_id = %s AND "
                         f"originator_version = %s", (case_id, version))


@pytest.fixture
def damaged(client: Any, services: Any) -> str:
    """A case of HSI's, shared with DEA, whose third event had one byte changed in the store."""
    case = open_case(client)
    write(client, case, "POST", "/shares", {"agency": "DEA", "access": "read"}, status=200)
    for summary in ("first meeting", "second meeting"):
        write(client, case, "POST", "/actions", {"kind": "interview", "summary": summary}, status=201)
    flip_a_byte(services.settings, case.id, 3)
    return case.url


@pytest.fixture
def other_worker(services: Any) -> Iterator[Any]:
    """A second deployment on the same store: nothing of the case in its memory."""
    fresh = bootstrap.build(services.settings)
    yield create_app({"SERVICES": fresh, "TESTING": True}).test_client()
    fresh.close()


def test_the_history_check_names_the_event_changed_in_the_store(damaged, other_worker):
    response = other_worker.get(f"{damaged}/history/verify", headers=as_("hsi_agent"))

    assert response.status_code == 200
    assert (response.json["valid"], response.json["first_broken"]["version"]) == (False, 3)


def test_the_integrity_check_names_the_event_changed_in_the_store(damaged, other_worker):
    response = other_worker.get(f"{damaged}/integrity", headers=as_("hsi_agent"))

    assert response.status_code == 200
    assert (response.json["intact"], response.json["first_broken"]["version"]) == (False, 3)


# Without a key, a changed byte may leave valid JSON that reads as different text: only the chain check finds
# that (the two tests above). With a key, the event no longer decrypts, and every read must say so.
@pytest.mark.parametrize("env", ["keyed"], indirect=True)
def test_reading_a_case_whose_event_no_longer_decrypts_is_a_problem_naming_it_not_a_stack_trace(damaged,
                                                                                                other_worker):
    body = problem(other_worker.get(damaged, headers=as_("hsi_agent")), 500)

    assert body["type"].endswith("/Damaged") and body["record_id"] in damaged


def test_an_agency_the_intact_events_do_not_let_in_is_told_nothing_of_the_damage(damaged, other_worker):
    problem(other_worker.get(f"{damaged}/history/verify", headers=as_("fbi_agent")), 404)


def test_an_agency_the_intact_events_let_in_sees_the_break(damaged, other_worker):
    response = other_worker.get(f"{damaged}/history/verify", headers=as_("dea_agent"))

    assert response.status_code == 200 and response.json["first_broken"]["version"] == 3
