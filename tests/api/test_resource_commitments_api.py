"""The coordination group's view of resources: commitments per day, pending requests, over-commitments."""

from __future__ import annotations

from typing import Any

from tests.api.support import API, OPERATIONS, as_, created, open_case, plan_body, problem
from tests.api.test_resources_api import FAR_APART, MORNING, ask, committed, hsi_operation, register

VIEW = f"{API}/coordination/resources"
AFTERNOON = {"starts_at": "2031-03-10T13:00:00Z", "ends_at": "2031-03-10T16:00:00Z"}
NEXT_DAY = {"starts_at": "2031-03-11T08:00:00Z", "ends_at": "2031-03-11T12:00:00Z"}


def view(client: Any, caller: str, response: Any, query: str = "from=2031-03-10&to=2031-03-11") -> dict[str, Any]:
    position = response.headers["Pathways-Log-Position"]
    return created(client.get(f"{VIEW}?{query}&min_position={position}", headers=as_(caller)), 200)


def test_a_commitment_is_counted_on_each_day_of_its_operation(client, worker):
    resource = register(client)
    response = committed(client, resource, hsi_operation(client, FAR_APART[0], MORNING))

    days = view(client, "ocg_coordinator", response, "from=2031-03-09&to=2031-03-11")["days"]

    assert days == [{"day": "2031-03-10", "agency": "DEA", "kind": "k9", "resources": 1, "personnel": 0,
                     "operations": 1}]


def test_a_pending_request_shows_another_agencys_operation_by_its_pointer_only(client, worker):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    response = ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 3})

    (pending,) = view(client, "cbp_agent", response)["pending"]

    assert (pending["agency"], pending["count"], pending["operation"]["deconfliction_number"]) == (
        "CBP", 3, op["deconfliction_number"])
    assert "operation_id" not in pending["operation"] and op["investigation_id"] not in str(pending)


def test_the_view_counts_the_pending_requests(client, worker):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 3})
    response = ask(client, op, {"kind": "personnel", "agency": "DEA", "count": 2})

    assert view(client, "ocg_coordinator", response)["pending_total"] == 2


def test_the_planning_agency_sees_its_own_operation_id(client, worker):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    response = ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 3})

    (pending,) = view(client, "hsi_agent", response)["pending"]

    assert pending["operation"]["operation_id"] == op["id"]


def test_a_resource_held_by_two_operations_moved_into_the_same_time_is_over_committed(client, worker):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    second = hsi_operation(client, FAR_APART[1], AFTERNOON)
    created(committed(client, resource, first), 200)
    created(committed(client, resource, second), 200)
    response = client.post(f"{OPERATIONS}/{second['id']}/amend", json=MORNING,
                           headers=as_("hsi_agent", If_Match=f'"{second["version"]}"'))
    created(response, 200)

    (over,) = view(client, "ocg_coordinator", response)["over_commitments"]

    assert (over["resource_id"], sorted(o["deconfliction_number"] for o in over["operations"])) == (
        resource["id"], sorted([first["deconfliction_number"], second["deconfliction_number"]]))


def amend(client: Any, op: dict[str, Any], body: dict[str, Any], version: int | None = None) -> Any:
    return client.post(f"{OPERATIONS}/{op['id']}/amend", json=body,
                       headers=as_("hsi_agent", If_Match=f'"{version or op["version"]}"'))


def test_a_commitment_moves_with_its_operation_to_another_day(client, worker):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, op), 200)
    response = amend(client, op, NEXT_DAY)
    created(response, 200)

    days = view(client, "ocg_coordinator", response, "from=2031-03-09&to=2031-03-12")["days"]

    assert [(d["day"], d["resources"]) for d in days] == [("2031-03-11", 1)]


def test_the_commitments_of_a_cancelled_operation_no_longer_count(client, worker):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, op), 200)
    response = client.post(f"{OPERATIONS}/{op['id']}/cancel", json={"reason": "target moved"},
                           headers=as_("hsi_agent", If_Match=f'"{op["version"]}"'))
    created(response, 200)

    assert view(client, "ocg_coordinator", response)["days"] == []


def test_the_commitments_of_a_completed_operation_still_count_on_its_days(client, worker):
    resource = register(client)
    op = created(client.post(OPERATIONS, headers=as_("hsi_agent"), json=plan_body(
        open_case(client).id, starts_at="2026-01-05T08:00:00Z", ends_at="2026-01-05T10:00:00Z",
        late_entry_reason="exigent")))
    created(committed(client, resource, op), 200)
    response = client.post(f"{OPERATIONS}/{op['id']}/complete", json={"completed_at": "2026-01-05T09:00:00Z"},
                           headers=as_("hsi_agent", If_Match=f'"{op["version"]}"'))
    created(response, 200)

    days = view(client, "ocg_coordinator", response, "from=2026-01-04&to=2026-01-06")["days"]

    assert [(d["day"], d["resources"]) for d in days] == [("2026-01-05", 1)]


def test_a_commitment_spanning_midnight_counts_on_both_days(client, worker):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], {"starts_at": "2031-03-10T22:00:00Z", "ends_at": "2031-03-11T03:00:00Z"})
    response = committed(client, resource, op)

    days = view(client, "ocg_coordinator", response, "from=2031-03-09&to=2031-03-12")["days"]

    assert [d["day"] for d in days] == ["2031-03-10", "2031-03-11"]


def test_an_over_commitment_ends_when_one_operation_is_moved_away_again(client, worker):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    second = hsi_operation(client, FAR_APART[1], AFTERNOON)
    created(committed(client, resource, first), 200)
    created(committed(client, resource, second), 200)
    moved = created(amend(client, second, MORNING), 200)
    response = amend(client, second, NEXT_DAY, moved["version"])
    created(response, 200)

    assert view(client, "ocg_coordinator", response, "from=2031-03-09&to=2031-03-12")["over_commitments"] == []


def test_a_window_longer_than_92_days_is_refused_naming_to(client):
    response = client.get(f"{VIEW}?from=2031-01-01&to=2031-06-01", headers=as_("ocg_coordinator"))
    assert list(problem(response, 422)["errors"]) == ["to"]


def test_a_prosecutor_may_not_read_the_commitments(client):
    problem(client.get(VIEW, headers=as_("hsi_prosecutor")), 403)

