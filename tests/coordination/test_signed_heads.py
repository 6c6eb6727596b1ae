"""Signed checkpoints: the whole ledger and audit trail checked against heads signed with a key outside both stores."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from coordination.context import RequestContext
from coordination.signed_heads import TABLE, ForgedCheckpoint, NoSigningKey, SignedCheckpoints
from coordination.signing import Signer, new_private_key_pem
from domain.envelope import Actor
from tests.coordination.test_integrity import stored_id, tamper

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r")


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "signing-key.pem"
    key.write_bytes(new_private_key_pem())
    return {**env, "PATHWAYS_SIGNING_KEY_FILE": str(key)}


def public_key(services):
    return Signer.from_file(services.settings.signing_key_file).public_key


def a_case(services, actions: int = 2) -> str:
    case = services.investigations.open(HSI, title="Route 9", threat_domain="human_smuggling", summary=None).result
    for n in range(actions):
        services.investigations.log_action(HSI, case["id"], kind="interview", summary=f"meeting {n}",
                                           occurred_at=None, location=None, expected_version=None)
    return case["id"]


def test_a_sealed_ledger_verifies_against_its_checkpoints(services):
    a_case(services)
    services.signed_heads.seal()
    a_case(services)
    services.signed_heads.seal()

    report = services.signed_heads.verify(public_key(services))

    assert (report["valid"], report["checkpoints_checked"]) == (True, 2)
    assert report["events_checked"] == services.ledger.max_position()


def test_an_event_deleted_from_the_store_after_sealing_is_caught_by_the_checkpoint(services):
    case_id = a_case(services)
    services.signed_heads.seal()
    tamper(services, "DELETE FROM {table} WHERE originator_version = 2 AND originator_id = ?",
           "DELETE FROM {table} WHERE originator_version = 2 AND originator_id = %s", (stored_id(services, case_id),))

    report = services.signed_heads.verify(public_key(services))

    assert report["valid"] is False and report["first_broken"]["checkpoint"] == 1


def test_an_edited_checkpoint_no_longer_verifies_with_the_public_key(services):
    a_case(services)
    services.signed_heads.seal()
    with services.audit_db.transaction(write=True) as cur:
        row = cur.execute(f"SELECT payload FROM {TABLE} WHERE seq = 1").fetchone()
        payload = json.loads(row["payload"])
        cur.execute(f"UPDATE {TABLE} SET payload = ? WHERE seq = 1", [json.dumps({**payload, "events": 1})])

    report = services.signed_heads.verify(public_key(services))

    assert report["first_broken"] == {"checkpoint": 1, "problem": "its signature does not verify with the public key"}


def test_a_checkpoint_taken_out_of_the_middle_is_missed(services):
    for _ in range(3):
        a_case(services, actions=0)
        services.signed_heads.seal()
    with services.audit_db.transaction(write=True) as cur:
        cur.execute(f"DELETE FROM {TABLE} WHERE seq = 2")

    report = services.signed_heads.verify(public_key(services))

    assert report["first_broken"] == {"checkpoint": 2, "problem": "checkpoint 2 is missing"}


def test_nothing_is_signed_on_top_of_a_checkpoint_another_key_signed(services, tmp_path):
    a_case(services, actions=0)
    other = tmp_path / "other.pem"
    other.write_bytes(new_private_key_pem())
    SignedCheckpoints(services.audit_db, services.ledger, Signer.from_file(other)).seal()

    with pytest.raises(ForgedCheckpoint):
        services.signed_heads.seal()


def test_sealing_without_a_signing_key_says_which_setting_is_missing(services):
    with pytest.raises(NoSigningKey, match="PATHWAYS_SIGNING_KEY_FILE"):
        SignedCheckpoints(services.audit_db, services.ledger, None).seal()


def test_the_worker_seals_the_head_of_a_growing_log_by_itself(services):
    a_case(services, actions=0)
    stop = threading.Event()
    thread = threading.Thread(target=services.signed_heads.keep_sealing, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while services.signed_heads.verify(public_key(services))["checkpoints_checked"] == 0:
            assert time.monotonic() < deadline, "no checkpoint was sealed"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert services.signed_heads.verify(public_key(services))["valid"] is True
