"""Evidence through the API: items logged to a case, their chain of custody with its discrepancies flagged (never
refused), lab work, and who may see and change them, on both stores."""

from __future__ import annotations

from typing import Any

from tests.api.support import API, as_, created, open_case, plan, problem, share, shared_case

SEIZED = "2026-11-02T06:15:00Z"


def item_body(**fields: Any) -> dict[str, Any]:
    return {"description": "Ledger of payments, blue notebook", "kind": "document", "seized_at": SEIZED,
            "seized_from": "Stash house, 41 Calle Ocho", "seal_number": "HSI-MIA-0042",
            "custodian": "SA Alice Moreno", "location": "HSI Miami evidence vault", **fields}


def log_item(client: Any, case: Any, caller: str = "hsi_agent", **fields: Any) -> dict[str, Any]:
    return created(client.post(f"{case.url}/evidence", json=item_body(**fields), headers=as_(caller)))


def transfer(client: Any, item: dict[str, Any], caller: str = "hsi_agent", **fields: Any) -> Any:
    body = {"from": "SA Alice Moreno", "to": "Lab tech J. Chen", "at": "2026-11-03T09:00:00Z", "purpose": "lab",
            "seal_intact": True, **fields}
    return client.post(f"{API}/evidence/{item['id']}/transfers", json=body, headers=as_(caller))


def test_a_logged_item_is_in_the_custody_of_its_first_custodian(client):
    item = log_item(client, open_case(client))
    assert (item["custodian"], item["status"], item["custody"], item["chain_intact"]) == (
        "SA Alice Moreno", "in_custody", [], True)


def test_a_clean_transfer_moves_the_item_to_its_new_custodian(client):
    item = created(transfer(client, log_item(client, open_case(client)), location="DEA South Central Lab"))
    assert (item["custodian"], item["location"], item["discrepancies"]) == (
        "Lab tech J. Chen", "DEA South Central Lab", [])


def test_a_transfer_from_someone_who_did_not_hold_the_item_is_recorded_and_flagged(client):
    item = created(transfer(client, log_item(client, open_case(client)), **{"from": "SA Bob Grant"}))
    assert (item["custodian"], [d["kind"] for d in item["discrepancies"]]) == (
        "Lab tech J. Chen", ["not_from_custodian"])


def test_a_broken_seal_is_recorded_and_flagged(client):
    item = created(transfer(client, log_item(client, open_case(client)), seal_intact=False))
    assert [d["kind"] for d in item["custody"][0]["discrepancies"]] == ["seal_broken"]


def test_a_transfer_dated_before_the_previous_one_is_recorded_and_flagged(client):
    item = created(transfer(client, log_item(client, open_case(client))))
    back = {"from": "Lab tech J. Chen", "to": "SA Alice Moreno", "at": "2026-11-02T23:00:00Z", "purpose": "storage"}
    item = created(transfer(client, item, **back))
    assert item["discrepancies"] == [{"kind": "out_of_order", "transfer_version": 3, "detail": item[
        "discrepancies"][0]["detail"]}]


def test_the_prosecutor_sees_every_discrepancy_of_the_chain_when_reading_the_item(client):
    item = log_item(client, open_case(client))
    transfer(client, item, seal_intact=False)
    created(transfer(client, item, **{"from": "Someone else", "to": "Court clerk", "purpose": "court"}))

    read = created(client.get(f"{API}/evidence/{item['id']}", headers=as_("hsi_agent")), 200)

    assert (read["chain_intact"], [(d["kind"], d["transfer_version"]) for d in read["discrepancies"]]) == (
        False, [("seal_broken", 2), ("not_from_custodian", 3)])


def test_a_transfer_to_nobody_is_refused_and_nothing_is_written(client):
    item = log_item(client, open_case(client))
    refusal = problem(transfer(client, item, to="   "), 422)
    read = created(client.get(f"{API}/evidence/{item['id']}", headers=as_("hsi_agent")), 200)
    assert ("to" in refusal["errors"], read["version"]) == (True, item["version"])


def test_evidence_with_a_negative_quantity_is_refused_naming_the_field(client):
    refusal = problem(client.post(f"{open_case(client).url}/evidence", json=item_body(kind="physical", quantity=-2),
                                  headers=as_("hsi_agent")), 422)
    assert "quantity" in refusal["errors"]


def test_a_digest_that_is_not_64_hex_digits_is_refused_naming_the_field(client):
    refusal = problem(client.post(f"{open_case(client).url}/evidence", json=item_body(kind="digital", sha256="abc"),
                                  headers=as_("hsi_agent")), 422)
    assert "sha256" in refusal["errors"]


def test_seized_currency_keeps_its_exact_amount_and_code(client):
    item = log_item(client, open_case(client), kind="currency", amount="48250.50", currency="usd")
    assert (item["amount"], item["currency"]) == ("48250.50", "USD")


def test_an_item_names_the_operation_of_the_case_that_seized_it(client):
    case = open_case(client)
    op = plan(client, case)
    assert log_item(client, case, operation_id=op["id"])["operation_id"] == op["id"]


def test_an_operation_of_another_case_is_refused_naming_the_field(client):
    other = plan(client, open_case(client), lat=11.0, lon=12.0)
    refusal = problem(client.post(f"{open_case(client).url}/evidence", json=item_body(operation_id=other["id"]),
                                  headers=as_("hsi_agent")), 422)
    assert "operation_id" in refusal["errors"]


def test_the_case_lists_its_items_in_the_order_they_were_logged(client):
    case = open_case(client)
    first, second = log_item(client, case), log_item(client, case, description="Phone, black")
    listed = created(client.get(f"{case.url}/evidence", headers=as_("hsi_agent")), 200)
    assert [i["id"] for i in listed["items"]] == [first["id"], second["id"]]


def test_the_case_list_of_items_is_paged(client):
    case = open_case(client)
    ids = [log_item(client, case)["id"] for _ in range(3)]
    first = created(client.get(f"{case.url}/evidence?limit=2", headers=as_("hsi_agent")), 200)
    rest = created(client.get(f"{case.url}/evidence?limit=2&cursor={first['next_cursor']}",
                              headers=as_("hsi_agent")), 200)
    assert [i["id"] for i in first["items"] + rest["items"]] == ids and rest["next_cursor"] is None


def test_the_case_history_names_each_item_logged_to_it(client):
    case = open_case(client)
    item = log_item(client, case)
    timeline = created(client.get(f"{case.url}/timeline", headers=as_("hsi_agent")), 200)
    assert timeline["items"][-1]["data"] == {"record_type": "evidence", "record_id": item["id"]}


def test_a_partner_reading_the_case_reads_the_owners_items(client):
    case = shared_case(client)
    item = log_item(client, case)
    assert created(client.get(f"{API}/evidence/{item['id']}", headers=as_("dea_agent")), 200)["id"] == item["id"]


def test_a_partner_does_not_see_another_partners_items(client):
    case = shared_case(client)
    item = log_item(client, case, "cbp_agent")
    problem(client.get(f"{API}/evidence/{item['id']}", headers=as_("dea_agent")), 404)
    listed = created(client.get(f"{case.url}/evidence", headers=as_("dea_agent")), 200)
    assert listed["items"] == []


def test_an_agency_that_does_not_see_the_case_cannot_find_its_items(client):
    item = log_item(client, open_case(client))
    problem(client.get(f"{API}/evidence/{item['id']}", headers=as_("fbi_agent")), 404)


def test_only_the_agency_that_logged_an_item_records_its_custody(client):
    case = shared_case(client)
    item = log_item(client, case)
    problem(transfer(client, item, "cbp_agent"), 403)


def test_a_lab_request_waits_for_its_result_and_the_result_is_kept_with_it(client):
    item = log_item(client, open_case(client), kind="physical", description="White powder, 1 kg brick")
    asked = created(client.post(f"{API}/evidence/{item['id']}/lab-requests", headers=as_("hsi_agent"),
                                json={"lab": "DEA South Central Lab", "analysis": "identify and weigh"}))
    request_id = asked["lab_requests"][0]["id"]
    reported = created(client.post(f"{API}/evidence/{item['id']}/lab-results", headers=as_("hsi_agent"),
                                   json={"request_id": request_id, "findings": "cocaine HCl, 998.4 g net"}))
    assert (asked["lab_requests"][0]["result"], reported["lab_requests"][0]["result"]["findings"]) == (
        None, "cocaine HCl, 998.4 g net")


def test_a_second_result_for_the_same_lab_request_is_a_conflict(client):
    item = log_item(client, open_case(client))
    asked = created(client.post(f"{API}/evidence/{item['id']}/lab-requests", headers=as_("hsi_agent"),
                                json={"lab": "FBI Lab", "analysis": "latent prints"}))
    body = {"request_id": asked["lab_requests"][0]["id"], "findings": "two prints of the subject"}
    created(client.post(f"{API}/evidence/{item['id']}/lab-results", headers=as_("hsi_agent"), json=body))
    problem(client.post(f"{API}/evidence/{item['id']}/lab-results", headers=as_("hsi_agent"), json=body), 409)


def test_a_result_for_an_unknown_lab_request_is_refused_naming_the_field(client):
    item = log_item(client, open_case(client))
    refusal = problem(client.post(f"{API}/evidence/{item['id']}/lab-results", headers=as_("hsi_agent"), json={
        "request_id": item["id"], "findings": "nothing"}), 422)
    assert "request_id" in refusal["errors"]


def test_a_reader_who_may_not_see_the_seizing_operation_is_not_told_its_id(client):
    case = shared_case(client)  # DEA reads the case, CBP adds to it
    cbp_op = plan(client, case, "cbp_agent", lat=12.5, lon=13.5)
    item = log_item(client, case, operation_id=cbp_op["id"])
    read = created(client.get(f"{API}/evidence/{item['id']}", headers=as_("dea_agent")), 200)
    assert (item["operation_id"], read["operation_id"]) == (cbp_op["id"], None)


def test_an_item_cannot_name_an_operation_of_a_partner_its_logger_may_not_see(client):
    case = shared_case(client)  # CBP adds to the case; so will TCIU-EC, and neither sees the other's entries
    share(client, case, "TCIU-EC", "contribute")
    theirs = plan(client, case, "tciu_agent", lat=13.5, lon=14.5)
    refusal = problem(client.post(f"{case.url}/evidence", json=item_body(operation_id=theirs["id"]),
                                  headers=as_("cbp_agent")), 422)
    assert "operation_id" in refusal["errors"]
