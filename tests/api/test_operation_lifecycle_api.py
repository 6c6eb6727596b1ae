"""An operation's lifecycle through the API: approval, a start guarded by its conflicts, exemption, completion with
results, cancellation and late entries, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.support import CONFLICTS, OPERATIONS, as_, created, open_case, plan, plan_body, problem

MIAMI = {"lat": 25.7617, "lon": -80.1918}
NEARBY = {"lat": 25.7620, "lon": -80.1920}
FAR = {"lat": 25.9, "lon": -80.1918}


def step(client: Any, op: dict[str, Any], verb: str, body: dict[str, Any] | None = None,
         caller: str = "hsi_agent") -> Any:
    """POST a lifecycle step of `op`, naming the version last seen."""
    return client.post(f"{OPERATIONS}/{op['id']}/{verb}", json=body or {},
                       headers=as_(caller, If_Match=f'"{op["version"]}"'))


def approved_op(client: Any, where: dict[str, float] = FAR) -> dict[str, Any]:
    op = plan(client, open_case(client, "hsi_agent"), **where)
    return created(step(client, op, "approve", caller="hsi_supervisor"), 200)


def started_op(client: Any) -> dict[str, Any]:
    return created(step(client, approved_op(client), "start"), 200)


def dea_plans_nearby(client: Any) -> dict[str, Any]:
    return plan(client, open_case(client, "dea_agent"), "dea_agent", **NEARBY)


def test_a_supervisor_approves_a_planned_operation(client):
    op = approved_op(client)
    assert (op["status"], op["approval"]["by"]["sub"]) == ("approved", "sam")


def test_an_agent_cannot_approve_an_operation(client):
    op = plan(client, open_case(client, "hsi_agent"), **FAR)
    problem(step(client, op, "approve"), 403)


def test_an_approved_operation_without_conflicts_starts(client):
    op = started_op(client)
    assert (op["status"], op["deconfliction"]["status"]) == ("started", "cleared")


def test_a_start_while_a_conflict_is_open_is_refused_naming_the_conflict(client):
    op = approved_op(client, MIAMI)
    (conflict,) = dea_plans_nearby(client)["deconfliction"]["conflicts"]

    refusal = problem(step(client, op, "start"), 409)

    assert refusal["open_conflicts"] == [conflict["id"]]
    assert created(client.get(f"{OPERATIONS}/{op['id']}", headers=as_("hsi_agent")), 200)["status"] == "approved"


def test_an_operation_starts_once_its_conflict_is_resolved(client):
    op = approved_op(client, MIAMI)
    (conflict,) = dea_plans_nearby(client)["deconfliction"]["conflicts"]
    created(client.post(f"{CONFLICTS}/{conflict['id']}/resolve", headers=as_("dea_agent", If_Match='"1"'),
                        json={"resolution": "proceed_separately", "note": "different floors"}), 200)

    assert created(step(client, op, "start"), 200)["status"] == "started"


def test_an_exempted_operation_starts_with_its_conflict_open(client):
    op = approved_op(client, MIAMI)
    dea_plans_nearby(client)
    op = created(step(client, op, "exempt", {"reason": "DEA stood down by phone"}, "hsi_supervisor"), 200)

    started = created(step(client, op, "start"), 200)

    assert (started["status"], started["exemption"]["reason"]) == ("started", "DEA stood down by phone")


def test_completing_an_operation_records_its_results_and_obsoletes_its_conflicts(client):
    op = approved_op(client, MIAMI)
    op = created(step(client, op, "exempt", {"reason": "agreed on a call"}, "hsi_supervisor"), 200)
    dea_plans_nearby(client)
    op = created(step(client, op, "start"), 200)

    done = created(step(client, op, "complete", {"results": {
        "arrests": {"count": 2}, "seizures": [{"kind": "currency", "amount": "12500.50", "currency": "usd"}]}}), 200)

    assert done["status"] == "completed"
    assert done["results"]["seizures"] == [{"kind": "currency", "amount": "12500.50", "currency": "USD"}]
    assert [c["status"] for c in done["deconfliction"]["obsolete"]] == ["obsolete"]


def test_a_result_with_a_float_amount_is_refused_naming_it_and_nothing_is_written(client):
    op = started_op(client)
    refusal = problem(step(client, op, "complete", {"results": {
        "seizures": [{"kind": "currency", "amount": 12500.5, "currency": "USD"}]}}), 422)

    assert list(refusal["errors"]) == ["results.seizures.0.amount"]
    after = created(client.get(f"{OPERATIONS}/{op['id']}", headers=as_("hsi_agent")), 200)
    assert (after["status"], after["version"]) == ("started", op["version"])


def test_a_result_in_an_unknown_currency_is_refused_naming_it(client):
    refusal = problem(step(client, started_op(client), "complete", {"results": {
        "seizures": [{"kind": "currency", "amount": "10", "currency": "XYZ"}]}}), 422)
    assert list(refusal["errors"]) == ["results.seizures.0.currency"]


def test_completing_an_operation_that_has_not_started_is_a_conflict(client):
    problem(step(client, approved_op(client), "complete", {"results": None}), 409)


def test_a_cancelled_operation_is_no_longer_compared(client):
    op = plan(client, open_case(client, "hsi_agent"), **MIAMI)
    assert created(step(client, op, "cancel", {"reason": "target moved"}), 200)["status"] == "cancelled"

    assert dea_plans_nearby(client)["deconfliction"]["status"] == "cleared"


def test_a_lifecycle_step_without_if_match_is_refused(client):
    op = plan(client, open_case(client, "hsi_agent"), **FAR)
    response = client.post(f"{OPERATIONS}/{op['id']}/approve", json={}, headers=as_("hsi_supervisor"))
    problem(response, 428)


def _hours_ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_a_late_entry_is_recorded_started_and_its_conflicts_are_flagged_late(client):
    dea = plan(client, open_case(client, "dea_agent"), "dea_agent", starts_at=_hours_ago(0.1),
               ends_at=_hours_ago(-3), **NEARBY)
    case = open_case(client, "hsi_agent")
    body = plan_body(case.id, starts_at=_hours_ago(1), ends_at=_hours_ago(-1),
                     late_entry_reason="exigent: shots fired", **MIAMI)

    late = created(client.post(OPERATIONS, json=body, headers=as_("hsi_agent")))

    (conflict,) = late["deconfliction"]["conflicts"]
    assert (late["status"], late["late_entry"], conflict["late"]) == (
        "started", {"reason": "exigent: shots fired"}, True)
    assert conflict["counterpart"]["deconfliction_number"] == dea["deconfliction_number"]


def test_a_plan_that_started_an_hour_ago_without_a_late_entry_reason_is_refused_naming_starts_at(client):
    case = open_case(client, "hsi_agent")
    response = client.post(OPERATIONS, json=plan_body(case.id, starts_at=_hours_ago(1), ends_at=_hours_ago(-1)),
                           headers=as_("hsi_agent"))
    assert list(problem(response, 422)["errors"]) == ["starts_at"]


def listed_status(client: Any, op: dict[str, Any], response: Any) -> str:
    """The operation's status in the operations list, once the list has caught up with `response`."""
    position = response.headers["Pathways-Log-Position"]
    items = created(client.get(f"{OPERATIONS}?min_position={position}", headers=as_("hsi_agent")), 200)["items"]
    return next(item["status"] for item in items if item["id"] == op["id"])


def test_the_operations_list_follows_each_step_of_the_lifecycle(client, worker):
    op = plan(client, open_case(client, "hsi_agent"), **FAR)
    seen = []
    for verb, body, caller in (("approve", {}, "hsi_supervisor"), ("start", {}, "hsi_agent"),
                               ("complete", {"results": None}, "hsi_agent")):
        response = step(client, op, verb, body, caller)
        op = created(response, 200)
        seen.append(listed_status(client, op, response))
    assert seen == ["approved", "started", "completed"]


def test_a_late_entry_is_listed_as_started(client, worker):
    case = open_case(client, "hsi_agent")
    response = client.post(OPERATIONS, json=plan_body(case.id, starts_at=_hours_ago(1), ends_at=_hours_ago(-1),
                                                      late_entry_reason="exigent", **FAR), headers=as_("hsi_agent"))
    assert listed_status(client, created(response), response) == "started"
