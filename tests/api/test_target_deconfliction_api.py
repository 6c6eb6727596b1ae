"""Target deconfliction through the API: identifiers matched by keyed digest, operations on shared subjects,
operations near a registered address; every answer at pointer level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import h3

from domain.deconfliction import CELL_RESOLUTION
from tests.api.support import OPERATIONS, Case, as_, created, open_case, plan, plan_body, problem

NOTIFICATIONS = "/api/v1/notifications"
CONFLICTS = "/api/v1/deconfliction/conflicts"


def _add(client: Any, case: Case, caller: str, *identifiers: dict[str, Any], name: str = "Juan Perez",
         status: int = 201) -> Any:
    response = client.post(f"{case.url}/subjects", json={"kind": "person", "name": name, "role": "leader",
                                                         "identifiers": list(identifiers)}, headers=as_(caller))
    return created(response, status) if status < 400 else problem(response, status)


def test_one_phone_written_two_ways_by_two_agencies_is_a_match_with_only_whom_to_call(client):
    hsi = open_case(client, "hsi_agent", title="Biscayne cell")
    first = _add(client, hsi, "hsi_agent", {"type": "phone", "value": "786-555-1234", "country": "US"})
    dea = open_case(client, "dea_agent")

    second = _add(client, dea, "dea_agent", {"type": "phone", "value": "+1 (786) 555-1234"}, name="El Flaco")

    (conflict,) = second["deconfliction"]["conflicts"]
    assert (conflict["kind"], conflict["severity"]) == ("identifier", "medium")
    assert conflict["counterpart"]["agency"] == "HSI"
    assert conflict["counterpart"]["deconfliction_number"] == first["deconfliction_number"]
    text = str(second)
    assert hsi.id not in text and "Biscayne" not in text and "Juan Perez" not in text
    assert first["subject_id"] not in text


def test_the_agency_that_registered_first_is_told_of_the_match(client, worker):
    hsi = open_case(client, "hsi_agent")
    _add(client, hsi, "hsi_agent", {"type": "phone", "value": "786-555-1234", "country": "US"})
    dea = open_case(client, "dea_agent")
    response = client.post(f"{dea.url}/subjects", json={"kind": "person", "name": "El Flaco", "role": "leader",
                                                        "identifiers": [{"type": "phone", "value": "+17865551234"}]},
                           headers=as_("dea_agent"))
    created(response)
    created(client.get(f"{CONFLICTS}?min_position={response.headers['Pathways-Log-Position']}",
                       headers=as_("hsi_agent")), 200)

    told = created(client.get(NOTIFICATIONS, headers=as_("hsi_agent")), 200)["items"]

    assert [(n["change"], n["kind"], n["counterpart"]["agency"]) for n in told] == [("detected", "identifier", "DEA")]
    assert "El Flaco" not in str(told) and dea.id not in str(told)


def test_one_investigation_registering_an_identifier_twice_is_no_conflict(client):
    hsi = open_case(client, "hsi_agent")
    _add(client, hsi, "hsi_agent", {"type": "email", "value": "flaco@example.org"})

    again = _add(client, hsi, "hsi_agent", {"type": "email", "value": "FLACO@example.org"}, name="Flaco")

    assert again["deconfliction"]["status"] == "cleared"


def test_the_index_never_holds_the_raw_identifier(client, services):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", {"type": "phone", "value": "+44 7700 900123"})

    holders = {n.topic.rsplit(".", 1)[0] for n in services.ledger.recorder.select_notifications(start=1, limit=1000)
               if b"447700900123" in n.state}

    assert holders == {"domain.investigation:Investigation"}


def test_a_phone_with_letters_is_refused_naming_it_and_nothing_is_registered(client):
    refused = _add(client, open_case(client, "hsi_agent"), "hsi_agent",
                   {"type": "phone", "value": "786-555-CALL", "country": "US"}, status=422)

    assert "identifiers.0.value" in refused["errors"]
    later = _add(client, open_case(client, "dea_agent"), "dea_agent", {"type": "phone", "value": "+1 786 555 2255"})
    assert later["deconfliction"]["coverage"]["targets_compared"] == 0


def test_an_iban_with_a_wrong_checksum_is_refused_naming_it(client):
    refused = _add(client, open_case(client, "hsi_agent"), "hsi_agent",
                   {"type": "iban", "value": "GB82 WEST 1234 5698 7654 33"}, status=422)

    assert "identifiers.0.value" in refused["errors"]


def _subject(client: Any, case: Case, caller: str, phone: str) -> str:
    return _add(client, case, caller, {"type": "phone", "value": phone})["subject_id"]


def test_two_operations_after_one_phone_while_both_run_conflict_wherever_they_are(client):
    hsi, dea = open_case(client, "hsi_agent"), open_case(client, "dea_agent")
    plan(client, hsi, subject_ids=[_subject(client, hsi, "hsi_agent", "+1 305 555 0199")], lat=25.76, lon=-80.19)
    theirs = _subject(client, dea, "dea_agent", "+13055550199")

    body = plan(client, dea, "dea_agent", subject_ids=[theirs], lat=40.71, lon=-74.0)  # Miami and New York

    assert [(c["kind"], c["severity"]) for c in body["deconfliction"]["conflicts"]] == [("event_subject", "high")]


def test_two_operations_after_one_phone_at_different_times_do_not_conflict(client):
    hsi, dea = open_case(client, "hsi_agent"), open_case(client, "dea_agent")
    plan(client, hsi, subject_ids=[_subject(client, hsi, "hsi_agent", "+1 305 555 0199")], lat=25.76, lon=-80.19)
    theirs = _subject(client, dea, "dea_agent", "+13055550199")

    body = plan(client, dea, "dea_agent", subject_ids=[theirs], lat=40.71, lon=-74.0,
                starts_at="2031-04-10T10:00:00Z", ends_at="2031-04-10T12:00:00Z")

    assert [c["kind"] for c in body["deconfliction"]["conflicts"]] == []


def _address(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "address", "value": "12 Calle Ocho, Miami", "location": {"lat": lat, "lon": lon}}


def test_an_operation_within_fifty_metres_of_another_cases_target_address_conflicts(client):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(25.76500, -80.20000))
    dea = open_case(client, "dea_agent")

    body = plan(client, dea, "dea_agent", lat=25.76500 + 40 / 111_195, lon=-80.20000, kind="surveillance")

    kinds = {(c["kind"], c["severity"]) for c in body["deconfliction"]["conflicts"]}
    assert kinds == {("target_address", "medium")}


def test_an_operation_sixty_metres_from_a_target_address_does_not_conflict_with_it(client):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(25.76500, -80.20000))
    dea = open_case(client, "dea_agent")

    body = plan(client, dea, "dea_agent", lat=25.76500 + 60 / 111_195, lon=-80.20000)

    assert body["deconfliction"]["conflicts"] == []


def test_a_target_address_registered_after_an_operation_nearby_is_matched_with_it(client):
    dea = open_case(client, "dea_agent")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    response = client.post(OPERATIONS, json=plan_body(dea.id, lat=25.76500, lon=-80.20000, starts_at=soon.isoformat(),
                                                      ends_at=(soon + timedelta(hours=2)).isoformat()),
                           headers=as_("dea_agent"))
    created(response)

    registered = _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(25.76510, -80.20000))

    assert [c["kind"] for c in registered["deconfliction"]["conflicts"]] == ["target_address"]
    assert registered["deconfliction"]["conflicts"][0]["counterpart"]["agency"] == "DEA"


def _across_a_cell_edge(lat: float, lon: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two points 20 m apart, north to south, in two different cells of the deconfliction index."""
    step = 10 / 111_195
    while h3.latlng_to_cell(lat, lon, CELL_RESOLUTION) == h3.latlng_to_cell(lat + 2 * step, lon, CELL_RESOLUTION):
        lat += step
    return (lat, lon), (lat + 2 * step, lon)


def test_a_target_address_registered_across_a_cell_edge_from_an_operation_is_matched_with_it(client):
    # The operation is kept under its own cell only; the address looks in the cells beside its own too.
    at, address = _across_a_cell_edge(25.76500, -80.20000)
    dea = open_case(client, "dea_agent")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    created(client.post(OPERATIONS, json=plan_body(dea.id, lat=at[0], lon=at[1], starts_at=soon.isoformat(),
                                                   ends_at=(soon + timedelta(hours=2)).isoformat()),
                        headers=as_("dea_agent")))

    registered = _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(*address))

    assert [c["kind"] for c in registered["deconfliction"]["conflicts"]] == ["target_address"]


def test_an_operation_across_a_cell_edge_from_a_target_address_conflicts_with_it(client):
    at, address = _across_a_cell_edge(25.76500, -80.20000)
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(*address))

    body = plan(client, open_case(client, "dea_agent"), "dea_agent", lat=at[0], lon=at[1], kind="surveillance")

    assert [c["kind"] for c in body["deconfliction"]["conflicts"]] == ["target_address"]


def test_a_location_on_anything_but_an_address_is_refused_naming_it(client):
    refused = _add(client, open_case(client, "hsi_agent"), "hsi_agent",
                   {"type": "email", "value": "a@b.org", "location": {"lat": 1, "lon": 1}}, status=422)

    assert "identifiers.0.location" in refused["errors"]


def _alike_names(client: Any) -> tuple[dict[str, Any], Any]:
    """HSI and DEA add people whose names are alike (no identifier in common): DEA's response and its position."""
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", name="Jose Luis Garcia")
    dea = open_case(client, "dea_agent")
    response = client.post(f"{dea.url}/subjects", json={"kind": "person", "name": "José L. García", "role": "leader"},
                           headers=as_("dea_agent"))
    return created(response), response.headers["Pathways-Log-Position"]


def test_a_name_alike_another_cases_is_not_told_to_either_party(client):
    body, _ = _alike_names(client)

    assert body["deconfliction"]["status"] == "cleared"


def test_a_name_alike_another_cases_is_a_low_possible_match_on_the_coordinators_board(client, worker):
    _, position = _alike_names(client)

    board = created(client.get(f"/api/v1/coordination/board?min_position={position}",
                               headers=as_("ocg_coordinator")), 200)

    assert [(c["kind"], c["severity"]) for c in board["open"]] == [("identifier", "low")]
    assert {p["agency"] for p in board["open"][0]["parties"]} == {"HSI", "DEA"}


def test_a_possible_name_match_sends_no_notification_and_is_invisible_to_the_parties(client, worker):
    _, position = _alike_names(client)
    board = created(client.get(f"/api/v1/coordination/board?min_position={position}",
                               headers=as_("ocg_coordinator")), 200)
    conflict_id = board["open"][0]["id"]

    problem(client.get(f"{CONFLICTS}/{conflict_id}", headers=as_("hsi_agent")), 404)
    assert created(client.get(NOTIFICATIONS, headers=as_("hsi_agent")), 200)["items"] == []


def test_names_of_different_people_sharing_a_surname_are_no_possible_match(client, worker):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", name="Juan Perez")
    dea = open_case(client, "dea_agent")
    response = client.post(f"{dea.url}/subjects", json={"kind": "person", "name": "Pedro Perez", "role": "leader"},
                           headers=as_("dea_agent"))
    created(response)

    board = created(client.get(f"/api/v1/coordination/board?min_position={response.headers['Pathways-Log-Position']}",
                               headers=as_("ocg_coordinator")), 200)

    assert board["open"] == []


def _correct_identifiers(client: Any, case: Case, caller: str, subject: dict[str, Any], phone: str) -> Any:
    response = client.post(f"{case.url}/corrections", json={
        "corrects": subject["entry_version"], "reason": "wrong number",
        "changes": {"identifiers": [{"type": "phone", "value": phone}]}}, headers=as_(caller, If_Match="*"))
    created(response)
    return response.headers["Pathways-Log-Position"]


def _listed(client: Any, caller: str, position: str) -> list[tuple[str, str]]:
    items = created(client.get(f"{CONFLICTS}?min_position={position}", headers=as_(caller)), 200)["items"]
    return [(c["kind"], c["status"]) for c in items]


def test_an_identifier_added_by_a_correction_is_matched(client, worker):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", {"type": "phone", "value": "+1 212 555 0111"})
    dea = open_case(client, "dea_agent")
    theirs = _add(client, dea, "dea_agent", {"type": "phone", "value": "+1 212 555 0199"}, name="Ana Ruiz")

    position = _correct_identifiers(client, dea, "dea_agent", theirs, "+1 212 555 0111")

    assert _listed(client, "hsi_agent", position) == [("identifier", "detected")]


def test_an_identifier_corrected_away_makes_its_match_obsolete(client, worker):
    _add(client, open_case(client, "hsi_agent"), "hsi_agent", {"type": "phone", "value": "+1 212 555 0111"})
    dea = open_case(client, "dea_agent")
    theirs = _add(client, dea, "dea_agent", {"type": "phone", "value": "+1 212 555 0111"}, name="Ana Ruiz")

    position = _correct_identifiers(client, dea, "dea_agent", theirs, "+1 212 555 0199")

    assert _listed(client, "hsi_agent", position) == [("identifier", "obsolete")]


def test_renewing_a_registration_keeps_it_for_twenty_four_more_months_and_checks_it_again(client):
    hsi = open_case(client, "hsi_agent")
    ours = _add(client, hsi, "hsi_agent", {"type": "phone", "value": "+1 212 555 0111"})
    _add(client, open_case(client, "dea_agent"), "dea_agent", {"type": "phone", "value": "+1 212 555 0111"},
         name="Ana Ruiz")

    renewed = created(client.post(f"{hsi.url}/subjects/{ours['subject_id']}/registration",
                                  headers=as_("hsi_agent")), 200)

    until = datetime.fromisoformat(renewed["registered_until"])
    assert timedelta(days=729) < until - datetime.now(UTC) <= timedelta(days=730)
    assert [(c["kind"], c["counterpart"]["agency"]) for c in renewed["deconfliction"]["conflicts"]] == [
        ("identifier", "DEA")]


def test_registering_a_target_address_writes_the_records_a_plan_beside_it_writes(client, services):
    # So that an address and a plan beside it submitted at the same moment collide, and the loser sees the winner.
    at = (25.76500, -80.20000)
    registered = _add(client, open_case(client, "hsi_agent"), "hsi_agent", _address(*at))
    soon = datetime.now(UTC) + timedelta(days=2)
    record_id = services.operations.runner.keys().area(h3.latlng_to_cell(*at, CELL_RESOLUTION),
                                                        soon.date().isoformat())

    last = list(services.ledger.events.get(record_id))[-1]

    assert (type(last).__name__, last.ref) == ("Checked", registered["subject_id"])
