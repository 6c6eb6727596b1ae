"""Every read model rebuilt from zero holds exactly the rows its incremental folding wrote, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from coordination.bootstrap import PROJECTIONS
from tests.api.support import OPERATIONS, as_, created, open_case, plan, plan_body, submitted_referral, write


def story(client: Any) -> None:
    """A little of everything the read models fold: cases and their clocks, operations through their lifecycle,
    a conflict, resources and the requests for them."""
    case = open_case(client)
    write(client, case, "POST", "/actions", {"kind": "opening_report", "summary": "Predication"}, status=201)
    write(client, case, "POST", "/reviews", {"note": "on track"}, "hsi_supervisor", status=200)
    op = plan(client, case, lat=25.7617, lon=-80.1918)
    plan(client, open_case(client, "dea_agent"), "dea_agent", lat=25.7620, lon=-80.1920)  # a conflict with op
    op = created(client.post(f"{OPERATIONS}/{op['id']}/approve", json={},
                             headers=as_("hsi_supervisor", If_Match=f'"{op["version"]}"')), 200)
    created(client.post(f"{OPERATIONS}/{op['id']}/cancel", json={"reason": "moved"},
                        headers=as_("hsi_agent", If_Match=f'"{op["version"]}"')), 200)
    resource = created(client.post("/api/v1/resources", json={"kind": "k9", "name": "Rex"}, headers=as_("dea_agent")))
    other = plan(client, case, lat=29.76, lon=-95.37)
    asked = created(client.post(f"{OPERATIONS}/{other['id']}/resources", json={"resource_id": resource["id"]},
                                headers=as_("hsi_agent")))
    created(client.post(f"{OPERATIONS}/{other['id']}/resources/{asked['id']}/commit", json={},
                        headers=as_("dea_agent")), 200)
    late = created(client.post(OPERATIONS, headers=as_("hsi_agent"), json=plan_body(
        case.id, starts_at="2026-01-05T08:00:00Z", ends_at="2026-01-05T10:00:00Z", late_entry_reason="exigent")))
    created(client.post(f"{OPERATIONS}/{late['id']}/complete", headers=as_("hsi_agent", If_Match='"1"'), json={
        "completed_at": "2026-01-05T09:00:00Z", "results": {"arrests": {"count": 2}, "seizures": [
            {"kind": "currency", "amount": "900.10", "currency": "USD"}],
            "forfeiture": [{"asset": "cash", "path": "administrative"}]}}), 200)
    prosecution(client, case)


def prosecution(client: Any, case: Any) -> None:
    """Evidence through custody and a lab, a count with an element supported, a witness, a production, a
    review, and a referral submitted: what the readiness read model folds."""
    item = created(client.post(f"{case.url}/evidence", headers=as_("hsi_agent"), json={
        "description": "Ledger", "kind": "document", "seized_at": "2026-11-02T06:15:00Z", "custodian": "SA M",
        "location": "Vault"}))
    created(client.post(f"/api/v1/evidence/{item['id']}/transfers", headers=as_("hsi_agent"), json={
        "from": "SA X", "to": "Lab", "at": "2026-11-03T09:00:00Z", "purpose": "lab", "seal_intact": True}))
    created(client.post(f"/api/v1/evidence/{item['id']}/lab-requests", headers=as_("hsi_agent"),
                        json={"lab": "FBI Lab", "analysis": "prints"}))
    file = created(client.post(f"{case.url}/charges", headers=as_("hsi_agent"), json={"statute": "8 U.S.C. 1324"}))
    created(client.post(f"{case.url}/charges/{file['created_id']}/support", headers=as_("hsi_agent"),
                        json={"element": 0, "kind": "evidence", "ref": item["id"]}))
    created(client.post(f"{case.url}/witnesses", headers=as_("hsi_agent"), json={
        "name": "CW-1", "kind": "cooperator", "anticipated_testimony": "the payments", "immunity": "use"}))
    created(client.post(f"{case.url}/discovery", headers=as_("hsi_agent"), json={
        "description": "Reports", "produced_to": "Counsel", "produced_at": "2026-11-20", "bates_start": "HSI-1",
        "bates_end": "HSI-9"}))
    created(client.post(f"{case.url}/disclosure-reviews", headers=as_("hsi_agent"),
                        json={"kind": "jencks", "agency": "HSI"}))
    submitted_referral(client, case, charge_ids=[file["created_id"]])


def rows_of(services: Any, projection: Any) -> dict[str, list[dict[str, Any]]]:
    with services.views_db.transaction() as cur:
        return {table: sorted((dict(r) for r in cur.execute(f"SELECT * FROM {table}").fetchall()),
                              key=lambda r: sorted((k, str(v)) for k, v in r.items()))
                for table in projection.tables}


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_a_read_model_rebuilt_from_zero_equals_the_one_folded_as_events_came(services, projection):
    story(create_app({"SERVICES": services, "TESTING": True}).test_client())
    services.projections.catch_up()
    incremental = rows_of(services, projection)

    services.projections.rebuild(projection.name)

    assert rows_of(services, projection) == incremental
    assert any(incremental.values()), "the story wrote nothing this read model folds"
