"""The prosecution file through the API: charges with their elements supported or left as gaps, witnesses with their
Giglio material, discovery productions and disclosure reviews, on both stores."""

from __future__ import annotations

from typing import Any

from tests.api.support import API, as_, created, log_action, open_case, problem, shared_case, write

SMUGGLING = "8 U.S.C. 1324(a)(1)(A)(ii)"


def post(client: Any, case: Any, path: str, body: dict[str, Any], caller: str = "hsi_agent") -> Any:
    return client.post(f"{case.url}{path}", json=body, headers=as_(caller))


def charge_of(file: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in file["charges"] if c["id"] == file["created_id"])


def item_of(client: Any, case: Any, caller: str = "hsi_agent") -> str:
    return created(post(client, case, "/evidence", {
        "description": "Ledger", "kind": "document", "seized_at": "2026-11-02T06:15:00Z",
        "custodian": "SA Moreno", "location": "Vault 2"}, caller))["id"]


def test_a_catalogued_statute_brings_its_elements_each_a_gap_until_supported(client):
    charge = charge_of(created(post(client, open_case(client), "/charges", {"statute": "8 usc 1324(a)(1)(A)(ii)"})))
    assert (charge["statute"], len(charge["elements"]) >= 3, {e["supported"] for e in charge["elements"]}) == (
        SMUGGLING, True, {False})


def test_a_statute_outside_the_catalogue_needs_its_elements_typed_in(client):
    refusal = problem(post(client, open_case(client), "/charges", {"statute": "18 U.S.C. 2423(a)"}), 422)
    assert "elements" in refusal["errors"]


def test_a_statute_outside_the_catalogue_keeps_the_elements_typed_in(client):
    elements = ["transported a minor across state lines", "intending criminal sexual activity"]
    charge = charge_of(created(post(client, open_case(client), "/charges",
                                    {"statute": "18 U.S.C. 2423(a)", "elements": elements})))
    assert [e["element"] for e in charge["elements"]] == elements


def test_a_citation_of_unknown_shape_is_refused_naming_the_statute(client):
    assert "statute" in problem(post(client, open_case(client), "/charges", {"statute": "section 8"}), 422)["errors"]


def test_an_element_supported_by_an_item_of_the_case_is_no_longer_a_gap(client):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    supported = created(post(client, case, f"/charges/{file['created_id']}/support",
                             {"element": 1, "kind": "evidence", "ref": item_of(client, case)}))
    charge = next(c for c in supported["charges"] if c["id"] == file["created_id"])
    assert [e["supported"] for e in charge["elements"]][:2] == [False, True]


def test_an_item_of_another_case_does_not_support_an_element(client):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    refusal = problem(post(client, case, f"/charges/{file['created_id']}/support",
                           {"element": 0, "kind": "evidence", "ref": item_of(client, open_case(client))}), 422)
    assert "ref" in refusal["errors"]


def test_a_logged_action_of_the_case_supports_an_element_by_its_version(client):
    case = open_case(client)
    action = log_action(client, case, summary="Driver admitted being paid per head")
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    supported = created(post(client, case, f"/charges/{file['created_id']}/support",
                             {"element": 2, "kind": "action", "ref": str(action["entry_version"])}))
    assert charge_of({**supported, "created_id": file["created_id"]})["elements"][2]["support"][0]["ref"] == str(
        action["entry_version"])


def test_a_version_that_is_not_a_logged_action_does_not_support_an_element(client):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    refusal = problem(post(client, case, f"/charges/{file['created_id']}/support",
                           {"element": 0, "kind": "action", "ref": "1"}), 422)  # version 1 is the opening
    assert "ref" in refusal["errors"]


def test_an_element_index_past_the_charges_elements_is_refused_naming_it(client):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    refusal = problem(post(client, case, f"/charges/{file['created_id']}/support",
                           {"element": 99, "kind": "evidence", "ref": item_of(client, case)}), 422)
    assert "element" in refusal["errors"]


def test_a_defendant_must_be_a_subject_of_the_case(client):
    case = open_case(client)
    refusal = problem(post(client, case, "/charges", {"statute": SMUGGLING, "defendants": [case.id]}), 422)
    assert "defendants.0" in refusal["errors"]


def test_a_witness_keeps_the_promises_and_giglio_flags_the_defence_must_be_told(client):
    file = created(post(client, open_case(client), "/witnesses", {
        "name": "Cooperator CW-1", "kind": "cooperator", "anticipated_testimony": "recruited the drivers",
        "promises": ["5K1.1 motion considered"], "immunity": "use", "giglio_flags": ["prior_conviction"]}))
    (witness,) = file["witnesses"]
    assert (witness["promises"], witness["immunity"], witness["giglio_flags"]) == (
        ["5K1.1 motion considered"], "use", ["prior_conviction"])


def test_a_law_enforcement_witness_without_an_agency_is_refused_naming_it(client):
    refusal = problem(post(client, open_case(client), "/witnesses", {
        "name": "SA Ruiz", "kind": "law_enforcement", "anticipated_testimony": "the seizure"}), 422)
    assert "agency" in refusal["errors"]


def test_a_production_that_reuses_bates_numbers_is_kept_and_flagged(client):
    case = open_case(client)
    first = created(post(client, case, "/discovery", {
        "description": "Reports of investigation", "produced_to": "Counsel for J. Perez", "produced_at": "2026-11-20",
        "bates_start": "HSI-0001", "bates_end": "HSI-0100"}))
    second = created(post(client, case, "/discovery", {"description": "Photos", "produced_to": "Counsel for J. Perez",
                                                        "produced_at": "2026-11-21", "bates_start": "HSI-0090",
                                                        "bates_end": "HSI-0120"}))
    assert [p["overlapping"] for p in second["productions"]] == [[], [first["created_id"]]]


def test_a_bates_range_that_ends_before_it_starts_is_refused_naming_its_end(client):
    refusal = problem(post(client, open_case(client), "/discovery", {
        "description": "Reports", "produced_to": "Counsel", "produced_at": "2026-11-20",
        "bates_start": "HSI-0100", "bates_end": "HSI-0001"}), 422)
    assert "bates_end" in refusal["errors"]


def test_a_disclosure_review_records_whose_files_were_reviewed_and_by_whom(client):
    file = created(post(client, open_case(client), "/disclosure-reviews", {"kind": "brady_giglio", "agency": "CBP"}))
    assert [(r["kind"], r["agency"], r["by"]["sub"]) for r in file["reviews"]] == [("brady_giglio", "CBP", "alice")]


def test_a_partner_reads_the_case_file_but_does_not_write_to_it(client):
    case = shared_case(client)
    created(post(client, case, "/charges", {"statute": SMUGGLING}))
    assert len(created(client.get(f"{case.url}/case-file", headers=as_("dea_agent")), 200)["charges"]) == 1
    problem(post(client, case, "/charges", {"statute": SMUGGLING}, "cbp_agent"), 403)


def test_a_case_without_a_file_reads_as_an_empty_one(client):
    file = created(client.get(f"{open_case(client).url}/case-file", headers=as_("hsi_agent")), 200)
    assert (file["charges"], file["version"]) == ([], 0)


def test_the_statute_catalogue_lists_the_common_federal_statutes_with_their_elements(client):
    catalogue = created(client.get(f"{API}/statutes", headers=as_("hsi_agent")), 200)
    assert {"8 U.S.C. 1324", "18 U.S.C. 1591", "21 U.S.C. 841", "21 U.S.C. 846", "18 U.S.C. 1956"} <= {
        s["citation"] for s in catalogue["items"]}


def test_a_partner_reading_the_file_sees_that_an_element_is_supported_but_not_by_which_other_partners_item(client):
    case = shared_case(client)  # DEA reads, CBP contributes
    cbp_item = item_of(client, case, "cbp_agent")
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    created(post(client, case, f"/charges/{file['created_id']}/support",
                 {"element": 0, "kind": "evidence", "ref": cbp_item}))
    read = created(client.get(f"{case.url}/case-file", headers=as_("dea_agent")), 200)
    element = read["charges"][0]["elements"][0]
    assert (element["supported"], element["support"], element["support_withheld"], cbp_item in str(read)) == (
        True, [], 1, False)


def test_an_action_version_written_in_other_digits_is_refused_naming_the_ref(client):
    case = open_case(client)
    file = created(post(client, case, "/charges", {"statute": SMUGGLING}))
    refusal = problem(post(client, case, f"/charges/{file['created_id']}/support",
                           {"element": 0, "kind": "action", "ref": "²"}), 422)
    assert "ref" in refusal["errors"]


def test_a_production_naming_a_record_of_another_case_is_refused_naming_it(client):
    case = open_case(client)
    refusal = problem(post(client, case, "/discovery", {
        "description": "Reports", "produced_to": "Counsel", "produced_at": "2026-11-20", "bates_start": "HSI-1",
        "bates_end": "HSI-9", "record_ids": [item_of(client, open_case(client))]}), 422)
    assert "record_ids.0" in refusal["errors"]


def test_a_closed_case_takes_no_new_charge(client):
    case = open_case(client)
    write(client, case, "POST", "/status", {"status": "closed", "reason": "no prosecution"}, "hsi_supervisor",
          status=200, If_Match=f'"{case.version}"')
    problem(post(client, case, "/charges", {"statute": SMUGGLING}), 409)
