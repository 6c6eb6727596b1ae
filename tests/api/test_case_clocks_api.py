"""A case's clocks through the API: supervisory reviews, and the cases overdue for a report or a review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.support import API, as_, created, open_case, problem, write

OVERDUE = f"{API}/coordination/overdue"


def overdue(client: Any, caller: str, position: str) -> list[dict[str, Any]]:
    return created(client.get(f"{OVERDUE}?min_position={position}", headers=as_(caller)), 200)["items"]


def later(services: Any, days: float) -> None:
    """Move the clocks' idea of now on by `days`."""
    at = datetime.now(UTC) + timedelta(days=days)
    services.clocks.now = lambda: at


def review(client: Any, case: Any, caller: str = "hsi_supervisor") -> Any:
    return client.post(f"{case.url}/reviews", json={"note": "on track"}, headers=as_(caller))


def test_a_supervisor_reviews_a_case_of_the_agency(client):
    case = open_case(client)
    assert created(review(client, case), 200)["version"] == case.version + 1


def test_an_agent_may_not_review_a_case(client):
    problem(review(client, open_case(client), "hsi_agent"), 403)


def test_a_case_without_its_opening_report_after_ten_days_is_overdue(client, services, worker):
    case = open_case(client)
    later(services, 11)

    mine = [item for item in overdue(client, "ocg_coordinator", str(case.position))
            if item["investigation_id"] == case.id]

    assert [(item["clock"], item["days_overdue"]) for item in mine] == [("opening_report", 1)]


def test_a_filed_opening_report_is_no_longer_overdue(client, services, worker):
    case = open_case(client)
    write(client, case, "POST", "/actions", {"kind": "opening_report", "summary": "Predication: an informant"},
          status=201)
    later(services, 11)

    assert [item for item in overdue(client, "ocg_coordinator", str(case.position))
            if item["investigation_id"] == case.id] == []


def test_a_review_starts_the_review_clock_again(client, services, worker):
    case = open_case(client)
    later(services, 91)
    before = {i["clock"]: i["due_at"] for i in overdue(client, "ocg_coordinator", str(case.position))
              if i["investigation_id"] == case.id}
    response = review(client, case)
    created(response, 200)

    after = {i["clock"]: i["due_at"] for i in overdue(client, "ocg_coordinator", response.headers[
        "Pathways-Log-Position"]) if i["investigation_id"] == case.id}

    assert after["review"] > before["review"]


def test_a_supervisor_sees_only_the_agencys_overdue_cases(client, services, worker):
    hsi, dea = open_case(client), open_case(client, "dea_agent")
    later(services, 11)

    seen = {item["investigation_id"] for item in overdue(client, "hsi_supervisor", str(dea.position))}

    assert hsi.id in seen and dea.id not in seen


def test_an_agent_may_not_read_the_overdue_list(client):
    problem(client.get(OVERDUE, headers=as_("hsi_agent")), 403)
