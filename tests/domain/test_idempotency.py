"""Idempotency records and request envelopes."""

from domain.envelope import Actor, Envelope
from domain.idempotency import IdempotencyRecord
from tests.domain.helpers import KEYS


def record(agency: str = "HSI", key: str = "key-1") -> IdempotencyRecord:
    return IdempotencyRecord.record(
        id=KEYS.idempotency(agency, key), agency=agency, sub="alice", key=key, request_digest="d" * 64,
        result={"status": 201},
    )


def test_an_idempotency_records_id_is_derived_from_its_agency_and_key():
    assert record("HSI", "key-1").id == KEYS.idempotency("HSI", "key-1") == record("HSI", "key-1").id


def test_the_same_key_from_another_agency_is_another_record():
    assert record("HSI", "key-1").id != record("DEA", "key-1").id


def test_another_key_from_the_same_agency_is_another_record():
    assert record("HSI", "key-1").id != record("HSI", "key-2").id


def test_an_idempotency_record_keeps_the_request_digest_and_result():
    rec = record()

    assert (rec.agency, rec.key, rec.request_digest, rec.result) == ("HSI", "key-1", "d" * 64, {"status": 201})


def test_an_envelope_as_stored_lists_the_actors_roles_sorted():
    env = Envelope(Actor("alice", "HSI", "Alice", frozenset({"supervisor", "agent"})), "req-7")

    assert env.as_dict() == {
        "actor": {"sub": "alice", "name": "Alice", "agency": "HSI", "roles": ["agent", "supervisor"]},
        "request_id": "req-7",
    }


def test_an_actor_has_a_role_when_any_of_the_named_roles_is_theirs():
    actor = Actor("alice", "HSI", "Alice", frozenset({"agent"}))

    assert actor.has_any_role("supervisor", "agent")
    assert not actor.has_any_role("supervisor")
