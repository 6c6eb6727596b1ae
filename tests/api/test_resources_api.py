"""Resources through the API: the register, requests from operations, commitments without double-booking."""

from __future__ import annotations

from typing import Any

from tests.api.support import API, OPERATIONS, as_, created, open_case, plan, problem

RESOURCES = f"{API}/resources"
FAR_APART = ({"lat": 25.7617, "lon": -80.1918}, {"lat": 29.7604, "lon": -95.3698})  # Miami, Houston
MORNING = {"starts_at": "2031-03-10T08:00:00Z", "ends_at": "2031-03-10T12:00:00Z"}
LATE_MORNING = {"starts_at": "2031-03-10T11:00:00Z", "ends_at": "2031-03-10T14:00:00Z"}
AFTERNOON = {"starts_at": "2031-03-10T12:00:00Z", "ends_at": "2031-03-10T16:00:00Z"}


def register(client: Any, caller: str = "dea_agent", **body: Any) -> dict[str, Any]:
    return created(client.post(RESOURCES, json={"kind": "k9", "name": "K9 unit Rex", **body}, headers=as_(caller)))


def ask(client: Any, op: dict[str, Any], body: dict[str, Any], caller: str = "hsi_agent") -> Any:
    return client.post(f"{OPERATIONS}/{op['id']}/resources", json=body, headers=as_(caller))


def answer(client: Any, op: dict[str, Any], request: dict[str, Any], verb: str = "commit",
           caller: str = "dea_agent", body: dict[str, Any] | None = None) -> Any:
    return client.post(f"{OPERATIONS}/{op['id']}/resources/{request['id']}/{verb}", json=body or {},
                       headers=as_(caller))


def hsi_operation(client: Any, where: dict[str, float], when: dict[str, str]) -> dict[str, Any]:
    return plan(client, open_case(client, "hsi_agent"), **where, **when)


def committed(client: Any, resource: dict[str, Any], op: dict[str, Any]) -> Any:
    request = created(ask(client, op, {"resource_id": resource["id"]}))
    return answer(client, op, request)


def test_a_registered_resource_is_listed_for_every_agency(client, worker):
    response = client.post(RESOURCES, json={"kind": "aircraft", "name": "Air unit 3"}, headers=as_("dea_agent"))
    resource = created(response)
    position = response.headers["Pathways-Log-Position"]

    listed = created(client.get(f"{RESOURCES}?min_position={position}", headers=as_("hsi_agent")), 200)

    assert {"id": resource["id"], "kind": "aircraft", "name": "Air unit 3", "agency": "DEA"} in listed["items"]


def test_an_agency_may_not_register_another_agencys_resource(client):
    response = client.post(RESOURCES, json={"kind": "k9", "name": "Rex", "agency": "DEA"}, headers=as_("hsi_agent"))
    problem(response, 403)


def test_a_coordinator_registers_a_resource_for_an_agency(client):
    assert register(client, "ocg_coordinator", agency="CBP")["agency"] == "CBP"


def test_the_resources_agency_commits_a_named_resource_to_an_operation(client):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], MORNING)

    answered = created(committed(client, resource, op), 200)

    assert (answered["status"], answered["agency"], answered["answer"]["by"]["agency"]) == ("committed", "DEA", "DEA")


def test_a_resource_committed_at_an_overlapping_time_is_refused_naming_the_other_commitment_only(client):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, first), 200)
    second = hsi_operation(client, FAR_APART[1], LATE_MORNING)

    refusal = problem(committed(client, resource, second), 409)

    assert refusal["commitments"] == [{"agency": "HSI", "deconfliction_number": first["deconfliction_number"],
                                       "starts_at": "2031-03-10T08:00:00+00:00",
                                       "ends_at": "2031-03-10T12:00:00+00:00"}]
    assert first["investigation_id"] not in str(refusal) and first["id"] not in str(refusal)


def test_windows_that_only_touch_do_not_double_book(client):
    resource = register(client)
    created(committed(client, resource, hsi_operation(client, FAR_APART[0], MORNING)), 200)

    assert created(committed(client, resource, hsi_operation(client, FAR_APART[1], AFTERNOON)), 200)


def test_a_cancelled_operation_no_longer_holds_its_resource(client):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, first), 200)
    created(client.post(f"{OPERATIONS}/{first['id']}/cancel", json={"reason": "target moved"},
                        headers=as_("hsi_agent", If_Match=f'"{first["version"]}"')), 200)

    assert created(committed(client, resource, hsi_operation(client, FAR_APART[1], LATE_MORNING)), 200)


def amended(client: Any, op: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return created(client.post(f"{OPERATIONS}/{op['id']}/amend", json=changes,
                               headers=as_("hsi_agent", If_Match=f'"{op["version"]}"')), 200)


def test_an_operation_moved_to_another_day_after_its_commitment_still_holds_the_resource_there(client):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, first), 200)
    first = amended(client, first, starts_at="2031-03-11T08:00:00Z", ends_at="2031-03-11T12:00:00Z")
    second = hsi_operation(client, FAR_APART[1], {"starts_at": "2031-03-11T09:00:00Z",
                                                  "ends_at": "2031-03-11T10:00:00Z"})

    refusal = problem(committed(client, resource, second), 409)

    assert [c["deconfliction_number"] for c in refusal["commitments"]] == [first["deconfliction_number"]]


def test_an_operation_moved_away_after_its_commitment_no_longer_holds_the_resource_at_its_old_time(client):
    resource = register(client)
    first = hsi_operation(client, FAR_APART[0], MORNING)
    created(committed(client, resource, first), 200)
    amended(client, first, starts_at="2031-03-11T08:00:00Z", ends_at="2031-03-11T12:00:00Z")

    assert created(committed(client, resource, hsi_operation(client, FAR_APART[1], LATE_MORNING)), 200)


def test_the_requesting_agency_may_not_commit_anothers_resource(client):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], MORNING)
    request = created(ask(client, op, {"resource_id": resource["id"]}))

    problem(answer(client, op, request, caller="hsi_agent"), 403)


def test_an_agency_commits_a_head_count_of_its_people(client):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    request = created(ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 4}))

    answered = created(answer(client, op, request, caller="cbp_agent"), 200)

    assert (answered["kind"], answered["count"], answered["status"]) == ("personnel", 4, "committed")


def test_a_declined_request_says_why(client):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    request = created(ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 2}))

    answered = created(answer(client, op, request, "decline", "cbp_agent", {"reason": "all on the border"}), 200)

    assert (answered["status"], answered["answer"]["reason"]) == ("declined", "all on the border")


def test_a_request_for_a_resource_and_personnel_at_once_is_refused_naming_the_field(client):
    resource = register(client)
    op = hsi_operation(client, FAR_APART[0], MORNING)
    refusal = problem(ask(client, op, {"resource_id": resource["id"], "count": 2}), 422)
    assert list(refusal["errors"]) == ["count"]


def test_a_head_count_of_zero_is_refused_naming_count(client):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    refusal = problem(ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 0}), 422)
    assert list(refusal["errors"]) == ["count"]


def test_a_request_for_an_unknown_resource_is_not_found(client):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    problem(ask(client, op, {"resource_id": "6f1c2d3e-0000-4000-8000-000000000009"}), 404)


def test_a_request_answered_under_another_operation_is_not_found(client):
    op = hsi_operation(client, FAR_APART[0], MORNING)
    other = hsi_operation(client, FAR_APART[1], MORNING)
    request = created(ask(client, op, {"kind": "personnel", "agency": "CBP", "count": 2}))

    problem(answer(client, other, request, caller="cbp_agent"), 404)
