"""Prosecution readiness through the API: a case's checklist filled item by item until it is ready, and the cases a
caller sees, least ready first, on both stores (the projection worker runs beside the app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.support import (
    API,
    OPERATIONS,
    as_,
    created,
    log_action,
    open_case,
    plan_body,
    problem,
    referral_step,
    share,
    submitted_referral,
)

LIST = f"{API}/coordination/readiness"


def readiness(client: Any, case: Any, response: Any, caller: str = "hsi_agent") -> dict[str, Any]:
    """The case's readiness once the read model has folded the write that gave `response`."""
    position = response.headers["Pathways-Log-Position"]
    return created(client.get(f"{case.url}/readiness?min_position={position}", headers=as_(caller)), 200)


def statuses(view: dict[str, Any]) -> dict[str, str]:
    return {item["item"]: item["status"] for item in view["items"]}


def post(client: Any, case: Any, path: str, body: dict[str, Any], caller: str = "hsi_agent") -> Any:
    response = client.post(f"{case.url}{path}", json=body, headers=as_(caller))
    assert response.status_code == 201, response.get_json()
    return response


def test_a_new_case_is_not_ready_and_names_its_gaps(client, worker):
    case = open_case(client)
    view = readiness(client, case, _touch(client, case))
    assert (view["ready"], statuses(view)["charges"], statuses(view)["custody"], statuses(view)["forfeiture"]) == (
        False, "gap", "gap", "not_applicable")


def _touch(client: Any, case: Any) -> Any:
    return client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "first contact"},
                       headers=as_("hsi_agent"))


def test_a_generated_case_moves_from_empty_to_ready(client, worker):
    case = open_case(client)
    subject = created(post(client, case, "/subjects", {"kind": "person", "name": "Juan Perez", "role": "transporter"}))
    action = log_action(client, case, summary="Driver admitted being paid per head")
    scores = [readiness(client, case, _touch(client, case))["score"]]

    item = created(post(client, case, "/evidence", {
        "description": "Ledger", "kind": "document", "seized_at": "2026-11-02T06:15:00Z",
        "custodian": "SA Moreno", "location": "Vault 2"}))
    charge = created(post(client, case, "/charges", {"statute": "8 U.S.C. 1324(a)(1)(A)(ii)",
                                                      "defendants": [subject["subject_id"]]}))["created_id"]
    witness = created(post(client, case, "/witnesses", {"name": "SA Ruiz", "kind": "law_enforcement", "agency": "HSI",
                                                         "anticipated_testimony": "the stop and the seizure"}))
    elements = next(c for c in witness["charges"] if c["id"] == charge)["elements"]
    refs = [("evidence", item["id"]), ("witness", witness["created_id"]), ("action", str(action["entry_version"]))]
    for element in elements:
        kind, ref = refs[element["index"] % len(refs)]
        post(client, case, f"/charges/{charge}/support", {"element": element["index"], "kind": kind, "ref": ref})
    post(client, case, "/disclosure-reviews", {"kind": "jencks", "agency": "HSI"})
    scores.append(readiness(client, case, post(client, case, "/disclosure-reviews",
                                                {"kind": "brady_giglio", "agency": "HSI"}))["score"])

    referral = submitted_referral(client, case, charge_ids=[charge])
    awaiting = statuses(readiness(client, case, _touch(client, case)))["charging_decisions"]
    referral_step(client, referral, "accept", "usao_prosecutor", {"memo": "indictment to follow"})
    due = statuses(readiness(client, case, _touch(client, case)))["discovery"]
    view = readiness(client, case, post(client, case, "/discovery", {
        "description": "Reports and photos", "produced_to": "Counsel for J. Perez", "produced_at": "2026-11-20",
        "bates_start": "HSI-0001", "bates_end": "HSI-0250"}))

    # Ready to refer once the agency's items are done; the office's decision, then discovery, fall due after.
    assert (scores[0] < scores[1] == 100, awaiting, due) == (True, "gap", "gap")
    assert (view["ready"], view["gaps"], statuses(view)["charging_decisions"], statuses(view)["discovery"]) == (
        True, 0, "ok", "ok")


def test_an_element_without_support_is_a_gap_naming_its_charge(client, worker):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": "18 U.S.C. 1591(a)"}))
    charges = next(i for i in readiness(client, case, _touch(client, case))["items"] if i["item"] == "charges")
    assert (charges["status"], charges["records"]) == ("gap", [{"type": "charge", "id": file["created_id"]}])


def test_a_custody_discrepancy_is_a_gap_naming_the_item(client, worker):
    case = open_case(client)
    item = created(post(client, case, "/evidence", {"description": "Phone", "kind": "physical", "custodian": "SA M",
                                                     "seized_at": "2026-11-02T06:15:00Z", "location": "Vault 2"}))
    response = client.post(f"{API}/evidence/{item['id']}/transfers", headers=as_("hsi_agent"), json={
        "from": "SA M", "to": "Lab", "at": "2026-11-03T09:00:00Z", "purpose": "lab", "seal_intact": False})
    custody = next(i for i in readiness(client, case, response)["items"] if i["item"] == "custody")
    assert (custody["status"], custody["records"]) == ("gap", [{"type": "evidence", "id": item["id"]}])


def test_a_pending_lab_request_is_a_gap_until_its_result_is_back(client, worker):
    case = open_case(client)
    item = created(post(client, case, "/evidence", {"description": "Powder", "kind": "physical", "custodian": "SA M",
                                                     "seized_at": "2026-11-02T06:15:00Z", "location": "Vault 2"}))
    asked = created(client.post(f"{API}/evidence/{item['id']}/lab-requests", headers=as_("hsi_agent"),
                                json={"lab": "DEA Lab", "analysis": "identify"}))
    before = statuses(readiness(client, case, _touch(client, case)))["custody"]
    reported = client.post(f"{API}/evidence/{item['id']}/lab-results", headers=as_("hsi_agent"),
                           json={"request_id": asked["lab_requests"][0]["id"], "findings": "cocaine HCl"})
    assert (before, statuses(readiness(client, case, reported))["custody"]) == ("gap", "ok")


def test_brady_giglio_review_is_due_from_every_agency_that_adds_to_the_case(client, worker):
    case = open_case(client)
    share(client, case, "CBP", "contribute")
    post(client, case, "/disclosure-reviews", {"kind": "jencks", "agency": "HSI"})
    response = post(client, case, "/disclosure-reviews", {"kind": "brady_giglio", "agency": "HSI"})
    disclosure = next(i for i in readiness(client, case, response)["items"] if i["item"] == "disclosure")
    assert (disclosure["status"], disclosure["records"]) == ("gap", [{"type": "agency", "id": "CBP"}])


def test_a_partner_does_not_learn_from_a_disclosure_gap_which_other_partner_is_due(client, worker):
    case = open_case(client)
    share(client, case, "DEA", "read")
    share(client, case, "CBP", "contribute")
    disclosure = next(i for i in readiness(client, case, _touch(client, case), "dea_agent")["items"]
                      if i["item"] == "disclosure")
    assert ("CBP" in str(disclosure), disclosure["records_withheld"]) == (False, 1)


def test_forfeiture_without_a_notice_deadline_is_a_gap(client, worker):
    case = open_case(client)
    start = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    op = created(client.post(OPERATIONS, headers=as_("hsi_agent"), json=plan_body(
        case.id, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat(),
        late_entry_reason="exigent", lat=11.0, lon=21.0)))
    response = client.post(f"{OPERATIONS}/{op['id']}/complete", headers=as_("hsi_agent", If_Match=f'"{op["version"]}"'),
                           json={"results": {"forfeiture": [{"asset": "2019 Ford F-150", "path": "administrative"}]}})
    forfeiture = next(i for i in readiness(client, case, response)["items"] if i["item"] == "forfeiture")
    assert (forfeiture["status"], forfeiture["records"]) == ("gap", [{"type": "operation", "id": op["id"]}])


def test_the_coordination_list_shows_the_least_ready_case_first(client, worker):
    ready_er, empty = open_case(client), open_case(client)
    post(client, ready_er, "/disclosure-reviews", {"kind": "jencks", "agency": "HSI"})
    response = post(client, ready_er, "/disclosure-reviews", {"kind": "brady_giglio", "agency": "HSI"})
    listed = created(client.get(f"{LIST}?min_position={response.headers['Pathways-Log-Position']}&limit=100",
                                headers=as_("hsi_agent")), 200)
    ids = [row["investigation_id"] for row in listed["items"]]
    assert ids.index(empty.id) < ids.index(ready_er.id)


def test_the_coordination_list_is_paged_by_its_cursor(client, worker):
    cases = [open_case(client) for _ in range(3)]
    response = _touch(client, cases[-1])
    query = f"{LIST}?min_position={response.headers['Pathways-Log-Position']}&limit=2"
    first = created(client.get(query, headers=as_("hsi_agent")), 200)
    rest = created(client.get(f"{query}&cursor={first['next_cursor']}", headers=as_("hsi_agent")), 200)
    ids = [r["investigation_id"] for r in first["items"] + rest["items"]]
    assert set(c.id for c in cases) <= set(ids) and len(ids) == len(set(ids))


def test_a_prosecutor_lists_only_the_cases_referred_to_their_office(client, worker):
    referred, kept = open_case(client), open_case(client)
    submitted_referral(client, referred)
    response = _touch(client, kept)
    listed = created(client.get(f"{LIST}?min_position={response.headers['Pathways-Log-Position']}",
                                headers=as_("usao_prosecutor")), 200)
    assert [row["investigation_id"] for row in listed["items"]] == [referred.id]


def test_a_prosecutor_reads_the_readiness_of_a_referred_case(client, worker):
    case = open_case(client)
    submitted_referral(client, case)
    view = readiness(client, case, _touch(client, case), "usao_prosecutor")
    assert statuses(view)["charging_decisions"] == "gap"


def test_an_agency_that_does_not_see_the_case_cannot_read_its_readiness(client, worker):
    case = open_case(client)
    problem(client.get(f"{case.url}/readiness", headers=as_("fbi_agent")), 404)


def test_a_partner_sees_how_many_records_of_another_partner_are_behind_an_item_but_not_which(client, worker):
    case = open_case(client)
    share(client, case, "DEA", "read")
    share(client, case, "CBP", "contribute")
    created(post(client, case, "/evidence", {"description": "Phone", "kind": "physical", "custodian": "CBPO Lee",
                                              "seized_at": "2026-11-02T06:15:00Z", "location": "Laredo"},
                 "cbp_agent"))
    item = created(client.get(f"{case.url}/evidence", headers=as_("cbp_agent")), 200)["items"][0]
    response = client.post(f"{API}/evidence/{item['id']}/transfers", headers=as_("cbp_agent"), json={
        "from": "Someone", "to": "Lab", "at": "2026-11-03T09:00:00Z", "purpose": "lab", "seal_intact": True})
    custody = next(i for i in readiness(client, case, response, "dea_agent")["items"] if i["item"] == "custody")
    assert (custody["status"], custody["records"], custody["records_withheld"]) == ("gap", [], 1)
