"""Deconfliction through the API: the answer in the plan's response, pointer discipline, bad input, the board."""

from __future__ import annotations

import json
from typing import Any

from tests.api.support import (
    API,
    CONFLICTS,
    OPERATIONS,
    Case,
    as_,
    created,
    open_case,
    plan,
    plan_body,
    problem,
)

BOARD = f"{API}/coordination/board"
NOTIFICATIONS = f"{API}/notifications"
# Fields of a counterpart that must never reach the other side (the list).
SECRET_TITLE = "Operation Nightjar stash house"
SECRET_ADDRESS = "1200 Brickell Ave"


def _secret_plan(client: Any) -> tuple[Case, dict[str, Any]]:
    """HSI plans a raid whose title, address and case title are secrets from every other agency."""
    case = open_case(client, "hsi_agent", title="Cartel cell Biscayne")
    where = {"lat": 25.7617, "lon": -80.1918, "address": SECRET_ADDRESS}
    return case, plan(client, case, title=SECRET_TITLE, location=where)


def _leaks(text: str, case: Case, op: dict[str, Any]) -> list[str]:
    secrets = [case.id, case.body["case_number"], case.body["title"], op["id"], SECRET_TITLE, SECRET_ADDRESS,
               "25.7617", "-80.1918"]
    return [secret for secret in secrets if secret in text]


def test_a_plan_near_another_agencys_answers_conflict_with_only_whom_to_call(client):
    case, theirs = _secret_plan(client)
    dea = open_case(client, "dea_agent")

    response = client.post(OPERATIONS, json=plan_body(dea.id, lat=25.7620, lon=-80.1920), headers=as_("dea_agent"))

    body = created(response)
    (conflict,) = body["deconfliction"]["conflicts"]
    assert body["deconfliction"]["status"] == "conflict"
    assert conflict["counterpart"] == {"agency": "HSI", "deconfliction_number": theirs["deconfliction_number"],
                                       "point_of_contact": {"name": "Det. Ruiz", "phone": "+1 305 555 0100",
                                                            "email": None}}
    assert _leaks(response.get_data(as_text=True), case, theirs) == []


def test_a_plan_far_from_any_other_is_cleared_and_says_what_it_compared(client):
    plan(client, open_case(client, "hsi_agent"), lat=25.7617, lon=-80.1918)
    dea = open_case(client, "dea_agent")

    body = plan(client, dea, "dea_agent", lat=25.9, lon=-80.1918)  # ~15 km north

    assert body["deconfliction"]["status"] == "cleared"
    assert body["deconfliction"]["coverage"]["operations_compared"] == 1
    assert "safe" not in json.dumps(body["deconfliction"]).lower()


def test_the_earlier_party_is_notified_of_the_conflict_with_the_later_ones_pointer_only(client, worker):
    _, theirs = _secret_plan(client)
    dea = open_case(client, "dea_agent", title="Harbor pipeline")
    response = client.post(OPERATIONS, json=plan_body(dea.id, lat=25.7620, lon=-80.1920, title="Dock 9 buy"),
                           headers=as_("dea_agent"))
    mine = created(response)
    position = response.headers["Pathways-Log-Position"]
    created(client.get(f"{CONFLICTS}?min_position={position}", headers=as_("hsi_agent")), 200)

    told = created(client.get(NOTIFICATIONS, headers=as_("hsi_agent")), 200)["items"]

    (note,) = [n for n in told if n["change"] == "detected"]
    assert note["counterpart"]["deconfliction_number"] == mine["deconfliction_number"]
    assert note["own"]["deconfliction_number"] == theirs["deconfliction_number"]
    text = json.dumps(told)
    assert dea.id not in text and "Harbor pipeline" not in text and "Dock 9 buy" not in text and mine["id"] not in text


def test_the_later_party_is_notified_too_each_side_once(client, worker):
    _secret_plan(client)
    dea = open_case(client, "dea_agent")
    response = client.post(OPERATIONS, json=plan_body(dea.id, lat=25.7620, lon=-80.1920), headers=as_("dea_agent"))
    created(response)
    created(client.get(f"{CONFLICTS}?min_position={response.headers['Pathways-Log-Position']}",
                       headers=as_("dea_agent")), 200)

    told = created(client.get(NOTIFICATIONS, headers=as_("dea_agent")), 200)["items"]

    assert [n["change"] for n in told] == ["detected"]
    assert told[0]["counterpart"]["agency"] == "HSI"


def test_an_amendment_that_moves_away_makes_the_conflict_obsolete_for_both_sides(client):
    _secret_plan(client)
    dea = open_case(client, "dea_agent")
    mine = plan(client, dea, "dea_agent", lat=25.7620, lon=-80.1920)

    moved = client.post(f"{OPERATIONS}/{mine['id']}/amend", json={"location": {"lat": 26.5, "lon": -80.19}},
                        headers=as_("dea_agent", If_Match='"1"'))

    body = created(moved, 200)
    assert body["deconfliction"]["status"] == "cleared"
    assert [c["status"] for c in body["deconfliction"]["obsolete"]] == ["obsolete"]
    conflict_id = body["deconfliction"]["obsolete"][0]["id"]
    seen_by_hsi = created(client.get(f"{CONFLICTS}/{conflict_id}", headers=as_("hsi_agent")), 200)
    assert seen_by_hsi["status"] == "obsolete"


def test_an_amendment_needs_if_match(client):
    mine = plan(client, open_case(client, "hsi_agent"))

    problem(client.post(f"{OPERATIONS}/{mine['id']}/amend", json={"title": "x"}, headers=as_("hsi_agent")), 428)


def test_withdrawing_an_operation_makes_its_conflicts_obsolete(client):
    _secret_plan(client)
    mine = plan(client, open_case(client, "dea_agent"), "dea_agent", lat=25.7620, lon=-80.1920)

    body = created(client.post(f"{OPERATIONS}/{mine['id']}/withdraw", json={"reason": "target moved"},
                               headers=as_("dea_agent")), 200)

    assert body["status"] == "withdrawn" and body["deconfliction"]["conflicts"] == []
    assert len(body["deconfliction"]["obsolete"]) == 1


def test_a_later_plan_does_not_conflict_with_a_withdrawn_operation(client):
    _, theirs = _secret_plan(client)
    client.post(f"{OPERATIONS}/{theirs['id']}/withdraw", json={"reason": "called off"}, headers=as_("hsi_agent"))

    body = plan(client, open_case(client, "dea_agent"), "dea_agent", lat=25.7620, lon=-80.1920)

    assert body["deconfliction"]["status"] == "cleared"


def test_two_operations_of_one_investigation_never_conflict(client):
    case = open_case(client, "hsi_agent")
    plan(client, case)

    assert plan(client, case)["deconfliction"]["status"] == "cleared"


def test_an_undercover_plan_makes_the_conflict_critical(client):
    _secret_plan(client)

    body = plan(client, open_case(client, "dea_agent"), "dea_agent", kind="undercover_meet", undercover=True,
                lat=25.7620, lon=-80.1920)

    assert [c["severity"] for c in body["deconfliction"]["conflicts"]] == ["critical"]


def _refused(client: Any, field: str, **changes: Any) -> None:
    case = open_case(client, "hsi_agent")
    body = plan_body(case.id)
    body.update(changes)
    refused = problem(client.post(OPERATIONS, json=body, headers=as_("hsi_agent")), 422)
    assert field in refused["errors"], refused
    # Nothing written: a plan at the same place afterwards compares nothing of this one.
    assert plan(client, open_case(client, "dea_agent"), "dea_agent")["deconfliction"]["coverage"][
        "operations_compared"] == 0


def test_a_latitude_out_of_range_is_refused_naming_it_and_nothing_is_indexed(client):
    _refused(client, "location.lat", location={"lat": 91, "lon": 0})


def test_an_end_not_after_the_start_is_refused_naming_it(client):
    _refused(client, "ends_at", starts_at="2031-03-10T10:00:00Z", ends_at="2031-03-10T10:00:00Z")


def test_a_window_longer_than_fourteen_days_is_refused_naming_its_end(client):
    _refused(client, "ends_at", starts_at="2031-03-01T00:00:00Z", ends_at="2031-03-15T00:00:01Z")


def test_an_unknown_kind_is_refused_naming_it(client):
    _refused(client, "kind", kind="picnic")


def test_a_subject_of_another_investigation_is_refused_naming_it(client):
    other = open_case(client, "hsi_agent")
    added = client.post(f"{other.url}/subjects", json={"kind": "person", "name": "Juan Perez", "role": "leader"},
                        headers=as_("hsi_agent"))
    subject_id = created(added)["subject_id"]

    _refused(client, "subject_ids.0", subject_ids=[subject_id])


def test_the_board_shows_an_unacknowledged_critical_conflict_to_coordinators_only(client, worker):
    _secret_plan(client)
    response = client.post(OPERATIONS, json=plan_body(open_case(client, "dea_agent").id, lat=25.7620, lon=-80.1920,
                                                      undercover=True, kind="undercover_meet"),
                           headers=as_("dea_agent"))
    position = response.headers["Pathways-Log-Position"]

    board = created(client.get(f"{BOARD}?min_position={position}", headers=as_("ocg_coordinator")), 200)

    assert [c["severity"] for c in board["open"]] == ["critical"]
    assert {p["agency"] for p in board["open"][0]["parties"]} == {"HSI", "DEA"}
    problem(client.get(BOARD, headers=as_("hsi_supervisor")), 403)


def test_a_conflict_is_resolved_after_a_coordinator_takes_it_and_both_parties_acknowledge(client):
    _secret_plan(client)
    (conflict,) = plan(client, open_case(client, "dea_agent"), "dea_agent", lat=25.7620,
                       lon=-80.1920)["deconfliction"]["conflicts"]
    url = f"{CONFLICTS}/{conflict['id']}"

    created(client.post(f"{url}/take", json={}, headers=as_("ocg_coordinator")), 200)
    created(client.post(f"{url}/acknowledge", json={}, headers=as_("hsi_agent")), 200)
    acknowledged = created(client.post(f"{url}/acknowledge", json={"note": "called Ruiz"},
                                       headers=as_("dea_agent")), 200)
    resolved = created(client.post(f"{url}/resolve", json={"resolution": "joint", "note": "one entry team"},
                                   headers=as_("dea_agent")), 200)

    assert acknowledged["status"] == "acknowledged"
    assert resolved["status"] == "resolved" and resolved["resolution"]["resolution"] == "joint"


def test_the_operations_list_filters_by_window_and_shows_a_partner_the_owners_operations(client, worker):
    case = open_case(client, "hsi_agent")
    client.post(f"{case.url}/shares", json={"agency": "DEA", "access": "read"}, headers=as_("hsi_agent"))
    march = plan(client, case, starts_at="2031-03-10T10:00:00Z", ends_at="2031-03-10T12:00:00Z")
    response = client.post(OPERATIONS, json=plan_body(case.id, lat=30.0, lon=-90.0, starts_at="2031-05-10T10:00:00Z",
                                                      ends_at="2031-05-10T12:00:00Z"), headers=as_("hsi_agent"))
    may = created(response)
    query = f"investigation_id={case.id}&min_position={response.headers['Pathways-Log-Position']}"

    every = created(client.get(f"{OPERATIONS}?{query}", headers=as_("dea_agent")), 200)["items"]
    later = created(client.get(f"{OPERATIONS}?{query}&ends_after=2031-04-01T00:00:00Z", headers=as_("dea_agent")),
                    200)["items"]

    assert [op["id"] for op in every] == [may["id"], march["id"]]
    assert [op["id"] for op in later] == [may["id"]]


def test_a_partner_who_may_add_to_the_case_cannot_withdraw_the_owners_operation(client):
    case = open_case(client, "hsi_agent")
    client.post(f"{case.url}/shares", json={"agency": "CBP", "access": "contribute"}, headers=as_("hsi_agent"))
    ours = plan(client, case)

    refused = client.post(f"{OPERATIONS}/{ours['id']}/withdraw", json={"reason": "x"}, headers=as_("cbp_agent"))

    problem(refused, 403)


def test_a_start_in_the_year_9999_is_refused_naming_it_not_a_crash(client):
    _refused(client, "starts_at", starts_at="9999-12-31T22:00:00Z", ends_at=None)
