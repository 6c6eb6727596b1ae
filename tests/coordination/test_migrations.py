"""`pathways migrate`, versioned: read models rebuilt from the ledger, the audit store migrated in place."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass

import psycopg
import pytest

from coordination import anchors, audit, bootstrap, migrations
from coordination.audit import AuditRecord, AuditTrail
from coordination.cipher import READ_MODELS, FieldCipher, is_ciphertext
from coordination.context import RequestContext
from domain.envelope import Actor
from projections.case_list import ENCRYPTED, CaseList
from projections.runner import LEADER_LOCK, POSITIONS_DDL, ProjectionRunner
from tests.conftest import PG

KEY = base64.b64encode(b"m" * 32).decode()
HSI = RequestContext(Actor("alice", "HSI", "Alice Agent", frozenset({"agent", "supervisor"})), "r")
# The case list as the code before versioning created it: version 2's columns, which it filled in clear.
CASE_LIST_V1 = (
    "CREATE TABLE IF NOT EXISTS case_list (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, case_number TEXT NOT NULL, "
    "title TEXT NOT NULL, threat_domain TEXT NOT NULL, summary TEXT NOT NULL, status TEXT NOT NULL, "
    "owning_agency TEXT NOT NULL, case_agent_sub TEXT NOT NULL, case_agent_name TEXT NOT NULL, "
    "version BIGINT NOT NULL, opened_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS case_list_owner_seq ON case_list (owning_agency, seq)",
    "CREATE INDEX IF NOT EXISTS case_list_seq ON case_list (seq)",
    "CREATE TABLE IF NOT EXISTS case_list_shares (investigation_id TEXT NOT NULL, agency TEXT NOT NULL, "
    "access TEXT NOT NULL, PRIMARY KEY (investigation_id, agency))",
    "CREATE INDEX IF NOT EXISTS case_list_shares_agency ON case_list_shares (agency, investigation_id)",
)


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PATHWAYS_CIPHER_KEY": KEY}


def write_cases(services, cases: int = 3) -> None:
    """Cases opened, shared, acted on and corrected through the use cases."""
    for n in range(cases):
        inv = services.investigations.open(HSI, title=f"Operation {n}", threat_domain="cybercrime",
                                           summary=f"lead {n}").result
        services.investigations.share(HSI, inv["id"], agency="DEA", access_level="read", expected_version=None)
        services.investigations.log_action(HSI, inv["id"], kind="search", summary="s", occurred_at=None,
                                           location=None, expected_version=None)
    services.investigations.correct(HSI, inv["id"], corrects=1, changes={"title": "Renamed"}, reason="typo",
                                    expected_version=3)


def case_list(db) -> list[dict]:
    with db.transaction() as cur:
        return (cur.execute("SELECT * FROM case_list ORDER BY id").fetchall()
                + cur.execute("SELECT * FROM case_list_shares ORDER BY investigation_id, agency").fetchall())


def readable(rows: list[dict]) -> list[dict]:
    cipher = FieldCipher(KEY, READ_MODELS)
    return [{k: cipher.decrypt(v, f"case_list.{k}") if k in ENCRYPTED else v for k, v in row.items()}
            for row in rows]


def audit_records(db) -> list[dict]:
    with db.transaction() as cur:
        return cur.execute("SELECT * FROM audit_records ORDER BY seq").fetchall()


@dataclass
class Previous:
    """What the previous version of the code left in a store."""

    case_list: list[dict]
    audit_records: list[dict]


@pytest.fixture
def previous(settings) -> Previous:
    """A store written by the code before versioning: its tables and no schema_versions; cases and audit records
    in it, the case list and the audit details in clear as that code wrote them."""
    if settings.store == "postgres":
        with psycopg.connect(**PG, autocommit=True) as conn:
            for schema in (settings.postgres.schema, settings.postgres.audit_schema):
                conn.execute(f'CREATE SCHEMA "{schema}"')
    services = bootstrap.build(settings, create_tables=True)
    try:
        services.ledger.max_position()
        with services.views_db.transaction(write=True) as cur:
            for statement in (POSITIONS_DDL, *CASE_LIST_V1):
                cur.execute(statement)
            cur.execute("INSERT INTO projection_positions (name, position) VALUES ('case_list', 0)")
        with services.audit_db.transaction(write=True) as cur:
            # Step 1 of each in-place component is, by definition, its tables as they were before versioning.
            for statement in (*audit.STEPS[cur.dialect][0][1], *anchors.STEPS[cur.dialect][0][1]):
                cur.execute(statement)
        write_cases(services)
        in_clear = AuditTrail(services.audit_db)
        for n in range(4):
            in_clear.record(AuditRecord(sub="alice", agency="HSI", action="GET investigations", outcome="allowed",
                                        status=200, request_id=f"r{n}", source="127.0.0.1", detail=f"q=lead {n}"))
        ProjectionRunner(log=services.ledger, db=services.views_db, projections=[CaseList()]).catch_up()
        return Previous(case_list(services.views_db), audit_records(services.audit_db))
    finally:
        services.close()


@pytest.fixture
def migrated(settings, previous):
    """The previous version's store after this version's `migrate`: (what it changed, the services on it)."""
    changes = bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    yield changes, services
    services.close()


def test_a_store_of_the_previous_version_counts_as_version_one_of_everything_it_has(migrated):
    changes, _ = migrated
    assert sorted((c.component, c.from_version, c.to_version) for c in changes) == [
        ("audit_records", 1, 2), ("case_clocks", 0, 1), ("case_list", 1, 3), ("deconfliction_board", 0, 3),
        ("operation_statistics", 0, 1), ("readiness", 0, 1), ("resources", 0, 3), ("signed_checkpoints", 0, 1)]


def test_the_previous_case_list_is_rebuilt_into_the_rows_a_fresh_fold_writes(migrated):
    _, services = migrated
    after_migrating = readable(case_list(services.views_db))
    services.projections.rebuild("case_list")
    assert after_migrating == readable(case_list(services.views_db)) and after_migrating


def test_the_rebuilt_case_list_says_what_the_previous_one_said(migrated, previous):
    _, services = migrated
    assert readable(case_list(services.views_db)) == previous.case_list


def test_the_rebuilt_case_list_keeps_no_case_text_in_clear(migrated):
    _, services = migrated
    stored = [row[k] for row in case_list(services.views_db) for k in ENCRYPTED if row.get(k)]
    assert stored and all(is_ciphertext(value) for value in stored)


def test_the_rebuilt_case_list_has_folded_the_whole_ledger(migrated):
    _, services = migrated
    assert services.projections.position("case_list") == services.ledger.max_position()


def test_every_audit_record_of_the_previous_version_is_kept_as_it_was(migrated, previous):
    _, services = migrated
    assert audit_records(services.audit_db) == previous.audit_records


def test_the_audit_chain_of_the_previous_version_still_verifies_after_migrating(migrated, previous):
    _, services = migrated
    assert services.audit.verify() | {"head": None} == {
        "intact": True, "records": len(previous.audit_records), "head": None, "first_broken": None}


def test_the_audit_trail_stays_append_only_after_migrating_in_place(migrated):
    _, services = migrated
    with pytest.raises(Exception, match="append-only"), services.audit_db.transaction(write=True) as cur:
        cur.execute("UPDATE audit_records SET outcome = 'denied' WHERE seq = 1")


def test_records_appended_after_migrating_continue_the_previous_chain(migrated, previous):
    _, services = migrated
    services.audit.record(AuditRecord(sub="bob", agency="DEA", action="GET x", outcome="denied", status=404,
                                      request_id="r", source="127.0.0.1"))
    assert services.audit.verify()["records"] == len(previous.audit_records) + 1


def test_migrating_twice_changes_nothing_the_second_time(migrated, settings):
    _, services = migrated
    recorded = (migrations.versions(services.views_db), migrations.versions(services.audit_db))
    assert bootstrap.migrate(settings) == []
    assert (migrations.versions(services.views_db), migrations.versions(services.audit_db)) == recorded


def test_a_read_model_whose_version_did_not_change_keeps_its_rows_and_position(services, settings):
    write_cases(services, cases=2)
    services.projections.catch_up()
    write_cases(services, cases=1)  # not folded yet: a refold would move the position to the head
    before = (case_list(services.views_db), services.projections.position("case_list"))
    bootstrap.migrate(settings)
    assert (case_list(services.views_db), services.projections.position("case_list")) == before


def test_a_read_model_whose_version_changed_is_emptied_and_folded_to_the_head(services, settings, monkeypatch):
    write_cases(services, cases=2)
    monkeypatch.setattr(CaseList, "version", CaseList.version + 1)
    [change] = bootstrap.migrate(settings)
    # Three events a case (opened, shared, an action) and one correction.
    assert (change.component, change.from_version, change.folded) == ("case_list", CaseList.version - 1, 7)
    assert services.projections.position("case_list") == services.ledger.max_position()


def test_a_rebuild_reports_its_progress_until_it_reaches_the_head(services, settings, monkeypatch):
    write_cases(services, cases=2)
    monkeypatch.setattr(CaseList, "version", CaseList.version + 1)
    reported: list[tuple[str, int, int]] = []
    bootstrap.migrate(settings, progress=lambda *told: reported.append(told))
    head = services.ledger.max_position()
    assert reported and reported[-1] == ("case_list", head, head)


def test_a_read_model_changed_while_a_worker_leads_is_reset_and_left_to_that_worker(services, settings, monkeypatch):
    write_cases(services, cases=2)
    services.projections.catch_up()
    monkeypatch.setattr(CaseList, "version", CaseList.version + 1)
    lease = services.views_db.try_lead(LEADER_LOCK)  # as a running `pathways worker` holds it
    try:
        [change] = bootstrap.migrate(settings)
    finally:
        lease.release()
    assert (change.folded, services.projections.position("case_list"), case_list(services.views_db)) == (None, 0, [])


def test_two_racing_migrations_of_a_fresh_store_migrate_it_once(settings):
    start = threading.Barrier(2)
    results: list[list[migrations.Change]] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(bootstrap.migrate(settings))
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(len(r) for r in results) == [0, 9]


def test_an_audit_store_newer_than_this_code_is_refused(services, settings):
    with services.audit_db.transaction(write=True) as cur:
        cur.execute("UPDATE schema_versions SET version = 99 WHERE component = 'audit_records'")
    with pytest.raises(migrations.MigrationError, match="audit_records is at version 99"):
        bootstrap.migrate(settings)


def test_a_refused_audit_migration_leaves_the_read_models_as_they_were(services, settings, monkeypatch):
    write_cases(services, cases=1)
    services.projections.catch_up()
    before = case_list(services.views_db)
    with services.audit_db.transaction(write=True) as cur:
        cur.execute("UPDATE schema_versions SET version = 99 WHERE component = 'audit_records'")
    monkeypatch.setattr(CaseList, "version", CaseList.version + 1)
    with pytest.raises(migrations.MigrationError):
        bootstrap.migrate(settings)
    assert case_list(services.views_db) == before


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_every_in_place_step_only_creates_so_no_stored_record_is_rewritten(dialect):
    statements = [s for steps in migrations.IN_PLACE.values() for _, step in steps[dialect] for s in step]
    assert statements and all(s.startswith("CREATE ") for s in statements)


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_in_place_steps_are_numbered_from_one_without_gaps(dialect):
    for steps in migrations.IN_PLACE.values():
        assert [version for version, _ in steps[dialect]] == list(range(1, len(steps[dialect]) + 1))
