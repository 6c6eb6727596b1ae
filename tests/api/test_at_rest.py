"""With PATHWAYS_CIPHER_KEY set, nothing a case says is readable in any byte the service stores.

One unique marker goes into every free-text and identifying field through the API; then every file under the
data dir (SQLite databases, their -wal and -shm, the audit spool) and, on PostgreSQL, a dump of both schemas
are searched for it, case-insensitively and as the hex that a dump shows for binary columns.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from coordination import bootstrap
from coordination.config import Settings
from coordination.tables import SQLiteDatabase
from tests.api.support import API, CASES, created
from tests.conftest import PG, token

KEY = base64.b64encode(b"k" * 32).decode()
AUDIT = f"{API}/audit"


@pytest.fixture
def keyed() -> bool:
    """Whether the deployment has PATHWAYS_CIPHER_KEY; a test parametrises it to False to run without."""
    return True


@pytest.fixture
def env(env: dict[str, str], keyed: bool) -> dict[str, str]:
    return {**env, "PATHWAYS_CIPHER_KEY": KEY} if keyed else env


@pytest.fixture
def marker() -> str:
    # Short enough for a passport number, plain letters and digits so that normalising keeps it findable.
    return f"zqxmark{uuid.uuid4().hex[:12]}"


def _headers(marker: str, roles: tuple[str, ...] = ("agent", "supervisor"), **extra: str) -> dict[str, str]:
    name = f"Agent {marker}"  # the token's name claim: the case agent's name in events and in the case list
    return {"Authorization": f"Bearer {token('alice', 'HSI', roles, name=name)}",
            **{k.replace("_", "-"): v for k, v in extra.items()}}


def _post(client: Any, path: str, payload: dict[str, Any], marker: str, status: int, **extra: str) -> Any:
    response = client.post(path, json=payload, headers=_headers(marker, **extra))
    created(response, status)
    return response


def _audit_store_down_for_one_request(client: Any, services: bootstrap.Services, tmp_path: Path, query: str) -> None:
    """A refused request while the audit store does not answer: its record waits in the spool."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    real = services.audit.db
    services.audit.db = SQLiteDatabase(blocker / "audit.db")
    try:
        assert client.get(f"{CASES}?{query}", headers=_headers("x")).status_code == 422
    finally:
        services.audit.db = real
    assert services.audit.spool is not None and services.audit.spool.pending()


def _plan_with_the_marker(client: Any, investigation_id: str, marker: str) -> None:
    """An operation whose plan says the marker everywhere it can, and a conflict with another agency's, so
    that the index records, the conflict, the board and the notifications all hold its point of contact."""
    place = {"lat": 25.7617, "lon": -80.1918, "address": f"{marker} Warehouse, Miami"}
    contact = {"name": f"Det. {marker}", "phone": "+1 305 555 0100", "email": f"{marker}@hsi.example"}
    _post(client, f"{API}/operations", {
        "investigation_id": investigation_id, "kind": "raid", "title": f"Raid {marker}", "location": place,
        "starts_at": "2031-03-10T10:00:00Z", "ends_at": "2031-03-10T12:00:00Z", "point_of_contact": contact,
        "undercover": False, "armed_subjects": True}, marker, 201)
    dea = {"Authorization": f"Bearer {token('dave', 'DEA', ('agent',))}"}
    theirs = created(client.post(CASES, json={"title": "Theirs", "threat_domain": "drug_trafficking"}, headers=dea))
    response = client.post(f"{API}/operations", headers=dea, json={
        "investigation_id": theirs["id"], "kind": "raid", "location": {"lat": 25.7618, "lon": -80.1918},
        "starts_at": "2031-03-10T10:00:00Z", "point_of_contact": {"name": "Dave", "phone": "+1 202 555 0100"},
        "undercover": False, "armed_subjects": False})
    assert created(response)["deconfliction"]["status"] == "conflict"
    position = response.headers["Pathways-Log-Position"]
    notified = created(client.get(f"{API}/deconfliction/conflicts?min_position={position}", headers=dea), 200)
    assert notified["items"][0]["counterpart"]["point_of_contact"]["name"] == f"Det. {marker}"


def write_the_marker_everywhere(client: Any, services: bootstrap.Services, marker: str, tmp_path: Path) -> str:
    """Every free-text and identifying field of a case, through the API; returns the case's url."""
    opened = _post(client, CASES, {"title": f"Title {marker}", "threat_domain": "human_smuggling",
                                   "summary": f"Summary {marker}"}, marker, 201)
    case_url = f"{CASES}/{opened.get_json()['id']}"
    _post(client, f"{case_url}/actions", {"kind": "interview", "summary": f"Action {marker}",
                                          "location": {"lat": 25.7, "lon": -80.2, "place": f"Place {marker}"}},
          marker, 201)
    identifiers = [
        {"type": "email", "value": f"{marker}@example.org"},
        {"type": "passport", "value": marker, "country": "MX"},
        {"type": "weapon_serial", "value": marker},
        {"type": "name_dob", "value": f"Juan {marker}"},
        {"type": "address", "value": f"1 {marker} Street, Miami"},
        {"type": "bank_account", "value": marker},
        {"type": "crypto_wallet", "value": f"{marker}{marker}"},
    ]
    subject = _post(client, f"{case_url}/subjects", {"kind": "person", "name": f"Subject {marker}",
                                                     "role": "leader", "date_of_birth": "1980-02-03",
                                                     "identifiers": identifiers},
                    marker, 201, Idempotency_Key=f"key-{marker}").get_json()  # its result is kept for retries
    _post(client, f"{case_url}/corrections", {"corrects": 1, "changes": {"title": f"Retitled {marker}",
                                                                         "summary": f"Resummed {marker}"},
                                              "reason": f"Reason {marker}"}, marker, 201, If_Match="*")
    _post(client, f"{case_url}/corrections", {
        "corrects": subject["entry_version"], "reason": f"Subject reason {marker}",
        "changes": {"name": f"Renamed {marker}", "identifiers": [{"type": "passport", "value": f"{marker}9",
                                                                  "country": "MX"}]}}, marker, 201, If_Match="*")
    _plan_with_the_marker(client, opened.get_json()["id"], marker)
    changed = _post(client, f"{case_url}/status", {"status": "active", "reason": f"Status {marker}"}, marker, 200,
                    If_Match="*")
    # A refused request's query string is copied into its audit record.
    assert client.get(f"{CASES}?unknown={marker}", headers=_headers(marker)).status_code == 422
    _audit_store_down_for_one_request(client, services, tmp_path, f"spooled={marker}")
    position = changed.headers["Pathways-Log-Position"]
    listed = created(client.get(f"{CASES}?min_position={position}", headers=_headers(marker)), 200)["items"]
    assert not services.audit.spool.pending()  # the record that waited in the spool is chained now
    assert [(c["title"], c["summary"], c["case_agent"]["name"]) for c in listed] == [
        (f"Retitled {marker}", f"Resummed {marker}", f"Agent {marker}")]
    services.ledger.take_snapshot(uuid.UUID(opened.get_json()["id"]))
    _audit_store_down_for_one_request(client, services, tmp_path, f"left={marker}")  # stays in the spool
    return case_url


def stored_bytes(settings: Settings) -> dict[str, bytes]:
    """Every file the service wrote under its data dir, and on PostgreSQL a plain dump of both its schemas."""
    stored = {str(path.relative_to(settings.data_dir)): path.read_bytes()
              for path in sorted(settings.data_dir.rglob("*")) if path.is_file()}
    if settings.postgres is not None:
        pg = settings.postgres
        assert shutil.which("pg_dump"), "searching the PostgreSQL schemas needs pg_dump (postgresql-client)"
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], "-d", PG["dbname"],
             f"--schema={pg.schema}", f"--schema={pg.audit_schema}"],
            capture_output=True, check=True, env={**os.environ, "PGPASSWORD": PG["password"]},
        ).stdout
        assert b"CREATE TABLE" in dump and b"audit_records" in dump and b"case_list" in dump
        stored["pg_dump"] = dump
    return stored


def holding(marker: str, stored: dict[str, bytes]) -> list[str]:
    """Where the marker is readable: the file, or for the dump each table whose rows hold it."""
    needles = [marker.lower().encode(), marker.lower().encode().hex().encode(), marker.upper().encode().hex().encode()]
    found = []
    for name, blob in stored.items():
        lowered = blob.lower()
        if not any(needle in lowered for needle in needles):
            continue
        if name != "pg_dump":
            found.append(name)
            continue
        table = "?"
        for line in lowered.splitlines():
            if line.startswith(b"copy "):
                table = line.split()[1].decode()
            if any(needle in line for needle in needles):
                found.append(f"pg_dump: {table}")
    return sorted(set(found))


def test_with_a_key_no_stored_byte_holds_what_a_case_says(client, services, settings, worker, marker, tmp_path):
    write_the_marker_everywhere(client, services, marker, tmp_path)

    readable_in = holding(marker, stored_bytes(settings))

    assert readable_in == [], f"the case's text is readable in {readable_in}"


def test_with_a_key_auditors_still_read_the_query_strings_of_refused_requests(client, services, marker, tmp_path):
    assert client.get(f"{CASES}?unknown={marker}", headers=_headers(marker)).status_code == 422
    _audit_store_down_for_one_request(client, services, tmp_path, f"spooled={marker}")
    assert client.get(CASES, headers=_headers(marker)).status_code == 200  # its record drains the spool
    auditor = {"Authorization": f"Bearer {token('audrey', 'HSI', ('auditor',))}"}

    records = created(client.get(f"{AUDIT}?outcome=rejected", headers=auditor), 200)["items"]

    assert sorted(r["detail"] for r in records) == sorted([f"spooled={marker}", f"unknown={marker}"])
    assert services.audit.verify()["intact"]


@pytest.mark.parametrize("keyed", [False])
def test_without_a_key_the_same_search_finds_the_case_text(client, services, settings, worker, marker, tmp_path):
    write_the_marker_everywhere(client, services, marker, tmp_path)

    found = holding(marker, stored_bytes(settings))

    assert "audit-spool.jsonl" in found
    if settings.store == "sqlite":
        assert {"ledger.db", "views.db", "audit.db"} <= {re.sub(r"-(wal|shm)$", "", f) for f in found}
    else:
        schema, audit = settings.postgres.schema, settings.postgres.audit_schema
        assert {f"pg_dump: {schema}.case_list", f"pg_dump: {audit}.audit_records"} <= set(found), found
        assert any(f.startswith(f"pg_dump: {schema}.") and "event" in f for f in found), found


def test_readiness_says_whether_case_text_is_encrypted(client, settings):
    assert client.get("/readyz").get_json()["checks"]["encryption"] == {"ok": True}


@pytest.mark.parametrize("keyed", [False])
def test_readiness_says_so_when_case_text_is_stored_in_clear(client):
    report = client.get("/readyz")

    assert report.status_code == 200
    check = report.get_json()["checks"]["encryption"]
    assert check["ok"] is False and "PATHWAYS_CIPHER_KEY" in check["detail"]


@pytest.mark.parametrize("keyed", [False])
def test_postgres_without_a_key_warns_once_at_start_up(settings, caplog, monkeypatch):
    monkeypatch.setattr(bootstrap, "_warned_unencrypted", False)
    with caplog.at_level(logging.WARNING, logger="coordination.bootstrap"):
        for _ in range(2):
            bootstrap.build(settings).close()
    warnings = [r for r in caplog.records if "PATHWAYS_CIPHER_KEY" in r.getMessage()]
    if settings.store == "postgres":
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert "in clear" in warnings[0].getMessage()
    else:
        assert warnings == []  # the embedded store is for one machine and development; readiness still says it
