"""Ids are natural keys under the deployment's own secret namespace: not computable from case numbers outside."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

from coordination import bootstrap
from coordination.config import Settings
from coordination.context import RequestContext
from coordination.deployment import DeploymentKeys
from domain.case_numbers import CaseNumberSequence
from domain.envelope import Actor
from domain.keys import BASE, NaturalKeys
from tests.conftest import drop_schema, store_env

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r")


def _open(services: bootstrap.Services) -> dict:
    return services.investigations.open(HSI, title="Stash house", threat_domain="human_smuggling", summary=None).result


def test_a_case_id_is_not_the_one_its_number_gives_under_the_published_namespace(services):
    case = _open(services)
    assert case["id"] != uuid5(BASE, f"investigation:{case['case_number']}")


def test_another_deployment_gives_its_first_case_another_id(services, store, tmp_path):
    schema = f"t_{uuid4().hex[:16]}"
    other_settings = Settings.from_env(store_env(store, tmp_path / "other", schema))
    bootstrap.migrate(other_settings)
    other = bootstrap.build(other_settings)
    try:
        mine, theirs = _open(services), _open(other)
    finally:
        other.close()
        if store == "postgres":
            drop_schema(schema)
    assert mine["case_number"] == theirs["case_number"] and mine["id"] != theirs["id"]


def test_a_second_process_on_the_same_store_derives_the_same_ids(services, settings):
    first = _open(services)
    restarted = bootstrap.build(settings)
    try:
        keys = restarted.investigations.runner.keys()
    finally:
        restarted.close()
    assert keys.investigation(first["case_number"]) == first["id"]


def test_processes_establishing_the_deployment_at_once_agree_on_its_keys(services, settings):
    ledgers = [bootstrap.build(settings) for _ in range(4)]
    found: list[NaturalKeys] = []
    threads = [threading.Thread(target=lambda s=s: found.append(DeploymentKeys(s.ledger)())) for s in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for built in ledgers:
        built.close()
    assert len(found) == 4 and len(set(found)) == 1


def _previous_version_opened_a_case(services) -> None:
    old = CaseNumberSequence.start(id=NaturalKeys(BASE).case_sequence("HSI", 2026), agency="HSI", year=2026)
    old.issue()
    services.ledger.save(old)  # as the previous version did, before any deployment secret existed


def test_a_ledger_from_before_deployment_keys_continues_its_case_number_sequence(services, monkeypatch):
    monkeypatch.setattr("coordination.investigations._now", lambda: datetime(2026, 5, 1, tzinfo=UTC))
    _previous_version_opened_a_case(services)
    assert _open(services)["case_number"] == "HSI-2026-00002"


def test_a_ledger_from_before_deployment_keys_gives_new_cases_secret_ids(services):
    _previous_version_opened_a_case(services)
    case = _open(services)
    assert case["id"] != NaturalKeys(BASE).investigation(case["case_number"])


def test_a_new_deployments_namespace_is_its_own(services):
    assert isinstance(services.investigations.runner.keys().namespace, UUID)
    assert services.investigations.runner.keys().namespace != BASE
