"""The column cipher of our own tables: AES-GCM per value, bound to its column, the identity without a key."""

from __future__ import annotations

import base64

import pytest

from coordination.cipher import AUDIT, READ_MODELS, FieldCipher, UndecryptableValue, at_rest, is_ciphertext

KEY = base64.b64encode(bytes(range(32))).decode()
TITLE = "case_list.title"


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(KEY, READ_MODELS)


def test_a_value_reads_back_as_it_was_written(cipher):
    stored = cipher.encrypt("Smuggling corridor via Tapachula — ñandú", TITLE)

    assert cipher.decrypt(stored, TITLE) == "Smuggling corridor via Tapachula — ñandú"


def test_the_stored_form_is_versioned_text_that_does_not_show_the_value(cipher):
    stored = cipher.encrypt("Tapachula", TITLE)

    assert stored.startswith("v1:") and is_ciphertext(stored) and "Tapachula" not in stored
    assert stored.isascii()


def test_two_encryptions_of_one_value_differ(cipher):
    assert cipher.encrypt("Tapachula", TITLE) != cipher.encrypt("Tapachula", TITLE)


def test_a_value_moved_to_another_column_does_not_decrypt(cipher):
    stored = cipher.encrypt("Tapachula", TITLE)

    with pytest.raises(UndecryptableValue, match=r"case_list\.summary does not decrypt"):
        cipher.decrypt(stored, "case_list.summary")


def test_a_damaged_value_does_not_decrypt(cipher):
    stored = cipher.encrypt("Tapachula", TITLE)
    damaged = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]

    with pytest.raises(UndecryptableValue):
        cipher.decrypt(damaged, TITLE)


def test_a_value_of_another_purpose_or_key_does_not_decrypt(cipher):
    stored = cipher.encrypt("Tapachula", TITLE)
    other_key = base64.b64encode(bytes(32)).decode()

    for other in (FieldCipher(KEY, AUDIT), FieldCipher(other_key, READ_MODELS)):
        with pytest.raises(UndecryptableValue):
            other.decrypt(stored, TITLE)


def test_a_clear_value_written_before_the_key_existed_reads_back_as_it_is(cipher):
    for legacy in ("Smuggling corridor", "v1:draft", "v1: not base64 at all, with spaces", ""):
        assert cipher.decrypt(legacy, TITLE) == legacy


def test_an_empty_value_stays_empty(cipher):
    assert cipher.encrypt("", TITLE) == ""


def test_without_a_key_values_are_stored_as_they_are():
    clear = FieldCipher(None, READ_MODELS)

    assert not clear.enabled
    assert clear.encrypt("Tapachula", TITLE) == "Tapachula"
    assert clear.decrypt("Tapachula", TITLE) == "Tapachula"


def test_without_a_key_an_encrypted_value_is_refused_not_shown(cipher):
    stored = cipher.encrypt("Tapachula", TITLE)

    with pytest.raises(UndecryptableValue, match="PATHWAYS_CIPHER_KEY is not set"):
        FieldCipher(None, READ_MODELS).decrypt(stored, TITLE)


def test_a_short_key_works_too():
    short = FieldCipher(base64.b64encode(bytes(16)).decode(), READ_MODELS)

    assert short.decrypt(short.encrypt("Tapachula", TITLE), TITLE) == "Tapachula"


def test_readiness_reports_encryption_at_rest():
    assert at_rest(KEY) == {"ok": True}
    assert at_rest(None) == {"ok": False, "detail": "PATHWAYS_CIPHER_KEY is not set: case text is stored in clear"}


# --- the audit trail's detail ------------------------------------------------------------------------------

def _trail(services, key: str | None):
    from coordination.audit import AuditTrail
    from coordination.tables import DatabaseUnavailable

    return AuditTrail(services.audit_db, unavailable=(DatabaseUnavailable,), cipher=FieldCipher(key, AUDIT))


def _record(trail, detail: str) -> None:
    from coordination.audit import AuditRecord

    trail.record(AuditRecord(sub="alice", agency="HSI", action="GET investigations.InvestigationCollection",
                             outcome="rejected", status=422, request_id="r", source="127.0.0.1", detail=detail))


def _auditor():
    from coordination.context import RequestContext
    from domain.envelope import Actor

    return RequestContext(Actor("olga", "OIG", "Olga", frozenset({"auditor", "admin"})), "r")


def test_an_audit_detail_is_stored_encrypted_and_read_in_clear_by_auditors(services):
    trail = _trail(services, KEY)
    _record(trail, "unknown=Juan Perez")

    with services.audit_db.transaction() as cur:
        stored = cur.execute("SELECT sub, outcome, detail FROM audit_records").fetchone()
    assert (stored["sub"], stored["outcome"]) == ("alice", "rejected")  # who and what stay clear
    assert is_ciphertext(stored["detail"]) and "Juan" not in stored["detail"]
    assert [r["detail"] for r in trail.search(_auditor(), filters={})["items"]] == ["unknown=Juan Perez"]


def test_the_audit_chain_verifies_without_the_key(services):
    _record(_trail(services, KEY), "unknown=Juan Perez")

    assert _trail(services, None).verify()["intact"] is True


def test_an_audit_detail_that_does_not_decrypt_is_shown_as_such_without_hiding_the_record(services):
    _record(_trail(services, KEY), "unknown=Juan Perez")
    other_key = base64.b64encode(bytes(32)).decode()

    (item,) = _trail(services, other_key).search(_auditor(), filters={})["items"]

    assert item["sub"] == "alice" and item["detail"].startswith("(not decryptable:")
    assert "Juan" not in item["detail"]
