"""Every read model rebuilt from zero holds exactly the rows its incremental folding wrote, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from api import create_app
from coordination.bootstrap import PROJECTIONS
from tests.api.support import OPERATIONS, as_, created, open_case, plan, plan_body, write


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
            {"kind": "currency", "amount": "900.10", "currency": "USD"}]}}), 200)


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
