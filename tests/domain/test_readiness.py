"""Whether a case is ready for prosecution: each checklist item ok, a gap (naming what is missing) or not yet
applicable, judged on facts built here by hand in the read model's shape; the score is the share of applicable
items that are ok."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.readiness import GAP, ITEM_NAMES, NOT_APPLICABLE, OK, checklist, empty_facts

DRIVER, BROKER = "subject-driver", "subject-broker"
ALWAYS_DUE = ("charges", "defendants", "witnesses", "custody", "disclosure")


def facts(**changes: Any) -> dict[str, Any]:
    return {**empty_facts("HSI", "HSI-2026-00001"), **changes}


def item(f: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [i for i in checklist(f)["items"] if i["item"] == name]
    return found


def status(f: dict[str, Any], name: str) -> str:
    return item(f, name)["status"]


def charge(elements: list[bool], defendants: list[str]) -> dict[str, Any]:
    return {"elements": elements, "defendants": defendants}


def subject(role: str, agency: str = "HSI") -> dict[str, Any]:
    return {"role": role, "agency": agency}


def evidence(discrepancies: int = 0, lab_pending: int = 0, agency: str = "HSI") -> dict[str, Any]:
    return {"agency": agency, "discrepancies": discrepancies, "lab_pending": lab_pending}


_SEQ = iter(range(1, 10**9))


def referral(status_: str, counts: dict[str, str] | None = None) -> dict[str, Any]:
    """A referral's facts; each one built later than the one before (its log position)."""
    return {"office": "USAO-SDTX", "status": status_, "seq": next(_SEQ), "counts": counts or {}}


SUPPORTED = {"c-1": charge([True, True, True], [DRIVER])}
IDENTIFIED = {DRIVER: subject("transporter")}
REVIEWED = {"jencks": ["HSI"], "brady_giglio": ["HSI"]}


# An empty case


def test_an_empty_case_has_a_gap_for_every_item_always_due_and_is_not_ready():
    result = checklist(facts())
    assert {i["item"]: i["status"] for i in result["items"]} == {
        "charges": GAP, "defendants": GAP, "witnesses": GAP, "custody": GAP, "disclosure": GAP,
        "discovery": NOT_APPLICABLE, "charging_decisions": NOT_APPLICABLE, "forfeiture": NOT_APPLICABLE}
    assert (result["score"], result["gaps"], result["ready"]) == (0, 5, False)


def test_the_checklist_lists_every_item_in_order_with_its_title():
    items = checklist(facts())["items"]
    assert [i["item"] for i in items] == list(ITEM_NAMES)
    assert all(i["title"] and i["reason"] for i in items)


# Charges


def test_charges_are_ok_when_every_element_of_every_charge_is_supported():
    assert status(facts(charges={**SUPPORTED, "c-2": charge([True], [DRIVER])}), "charges") == OK


def test_a_charge_with_an_unsupported_element_is_a_gap_naming_the_charge():
    found = item(facts(charges={**SUPPORTED, "c-2": charge([True, False, False], [DRIVER])}), "charges")
    assert (found["status"], found["records"]) == (GAP, [{"type": "charge", "id": "c-2", "agency": "HSI"}])
    assert found["reason"].startswith("2 element(s) of 1 charge(s)")


# Defendants


def test_defendants_are_ok_when_every_charge_names_subjects_whose_roles_are_known():
    f = facts(charges={"c-1": charge([True], [DRIVER, BROKER])},
              subjects={DRIVER: subject("transporter"), BROKER: subject("leader", "DEA")})
    assert status(f, "defendants") == OK


def test_a_charge_naming_no_defendant_is_a_gap_naming_the_charge():
    found = item(facts(charges={"c-1": charge([True], [])}, subjects=IDENTIFIED), "defendants")
    assert (found["status"], found["records"]) == (GAP, [{"type": "charge", "id": "c-1", "agency": "HSI"}])


def test_a_defendant_whose_role_is_unknown_is_a_gap_naming_the_subject_and_its_agency():
    f = facts(charges={"c-1": charge([True], [DRIVER, BROKER])},
              subjects={DRIVER: subject("transporter"), BROKER: subject("unknown", "DEA")})
    found = item(f, "defendants")
    assert (found["status"], found["records"]) == (GAP, [{"type": "subject", "id": BROKER, "agency": "DEA"}])


def test_a_defendant_who_is_a_victim_is_a_gap():
    f = facts(charges={"c-1": charge([True], [DRIVER])}, subjects={DRIVER: subject("victim")})
    assert status(f, "defendants") == GAP


def test_a_defendant_the_facts_do_not_know_is_a_gap_under_the_owning_agency():
    found = item(facts(charges={"c-1": charge([True], [DRIVER])}), "defendants")
    assert (found["status"], found["records"]) == (GAP, [{"type": "subject", "id": DRIVER, "agency": "HSI"}])


# Witnesses


def test_witnesses_are_ok_once_one_is_listed_and_count_the_impeachable():
    found = item(facts(witnesses={"w-1": {"impeachable": True}, "w-2": {"impeachable": False}}), "witnesses")
    assert (found["status"], found["reason"].startswith("2 witness(es)"), "1 with Giglio" in found["reason"]) == (
        OK, True, True)


# Custody


def test_custody_is_ok_when_every_item_has_an_unbroken_chain_and_its_lab_results():
    assert status(facts(evidence={"e-1": evidence(), "e-2": evidence(agency="DEA")}), "custody") == OK


def test_items_with_discrepancies_or_pending_lab_work_are_a_gap_naming_each_once():
    f = facts(evidence={"e-1": evidence(discrepancies=2), "e-2": evidence(lab_pending=1, agency="DEA"),
                        "e-3": evidence(discrepancies=1, lab_pending=1), "e-4": evidence()})
    found = item(f, "custody")
    assert found["status"] == GAP
    assert found["records"] == [{"type": "evidence", "id": "e-1", "agency": "HSI"},
                                {"type": "evidence", "id": "e-3", "agency": "HSI"},
                                {"type": "evidence", "id": "e-2", "agency": "DEA"}]
    assert found["reason"] == "2 item(s) with custody discrepancies; 2 item(s) awaiting lab results"


# Disclosure


def test_disclosure_is_ok_when_jencks_is_collected_and_every_agency_reviewed_for_brady_giglio():
    f = facts(contributors=["DEA", "CBP"], reviews={"jencks": ["HSI", "DEA", "CBP"],
                                                    "brady_giglio": ["CBP", "HSI", "DEA"]})
    assert status(f, "disclosure") == OK


def test_a_contributor_agency_without_a_brady_giglio_review_is_a_gap_naming_it_as_a_record():
    f = facts(contributors=["DEA", "CBP"], reviews={"jencks": ["HSI", "CBP", "DEA"], "brady_giglio": ["HSI", "CBP"]})
    found = item(f, "disclosure")
    assert (found["status"], found["records"]) == (GAP, [{"type": "agency", "id": "DEA", "agency": "DEA"}])


def test_the_reason_of_a_disclosure_gap_names_no_agency():
    f = facts(contributors=["DEA", "CBP"], reviews={"jencks": ["HSI"], "brady_giglio": ["HSI", "CBP"]})
    reason = item(f, "disclosure")["reason"]
    assert ("DEA" not in reason and "CBP" not in reason, "1 of 3" in reason) == (True, True)


def test_jencks_material_is_due_from_every_agency_in_the_case():
    f = facts(contributors=["DEA"], reviews={"jencks": ["HSI"], "brady_giglio": ["HSI", "DEA"]})
    assert item(f, "disclosure")["records"] == [{"type": "agency", "id": "DEA", "agency": "DEA"}]


def test_jencks_material_not_collected_is_a_gap_even_when_every_agency_was_reviewed():
    found = item(facts(reviews={"brady_giglio": ["HSI"]}), "disclosure")
    assert (found["status"], "Jencks" in found["reason"]) == (GAP, True)


# Discovery


def test_discovery_is_not_applicable_until_a_referral_is_accepted():
    f = facts(referrals={"r-1": referral("submitted"), "r-2": referral("declined")})
    assert status(f, "discovery") == NOT_APPLICABLE


def test_discovery_becomes_due_once_a_referral_is_accepted():
    assert status(facts(referrals={"r-1": referral("accepted")}), "discovery") == GAP


def test_discovery_is_ok_when_productions_are_logged_without_reused_bates_numbers():
    f = facts(referrals={"r-1": referral("accepted")}, productions={"p-1": {"overlapping": False}})
    assert status(f, "discovery") == OK


def test_a_production_reusing_bates_numbers_is_a_discovery_gap_naming_it():
    f = facts(referrals={"r-1": referral("accepted")},
              productions={"p-1": {"overlapping": False}, "p-2": {"overlapping": True}})
    found = item(f, "discovery")
    assert (found["status"], found["records"]) == (GAP, [{"type": "production", "id": "p-2", "agency": "HSI"}])


# Charging decisions


def test_charging_decisions_are_not_applicable_while_referrals_are_drafts_or_approved():
    f = facts(referrals={"r-1": referral("draft"), "r-2": referral("approved")})
    assert status(f, "charging_decisions") == NOT_APPLICABLE


def test_a_submitted_referral_awaiting_its_decision_is_a_gap_naming_it():
    f = facts(referrals={"r-1": referral("declined"), "r-2": referral("submitted")})
    found = item(f, "charging_decisions")
    assert (found["status"], found["records"]) == (GAP, [{"type": "referral", "id": "r-2", "agency": "USAO-SDTX"}])


def test_charging_decisions_are_ok_when_every_submitted_referral_was_decided():
    f = facts(referrals={"r-1": referral("returned"), "r-2": referral("declined"), "r-3": referral("accepted"),
                         "r-4": referral("draft")})
    assert status(f, "charging_decisions") == OK


def test_a_case_last_returned_for_more_investigation_has_no_charging_decision():
    f = facts(referrals={"r-2": referral("accepted"), "r-1": referral("returned")})  # r-1 is the later one
    found = item(f, "charging_decisions")
    assert (found["status"], found["records"]) == (GAP, [{"type": "referral", "id": "r-1", "agency": "USAO-SDTX"}])


def test_a_proposed_count_without_a_charging_decision_is_a_gap_naming_it():
    f = facts(charges={"c-1": charge([True], [DRIVER]), "c-2": charge([True], [DRIVER])},
              referrals={"r-1": referral("accepted", {"c-1": "charge"})})
    found = item(f, "charging_decisions")
    assert (found["status"], found["records"]) == (GAP, [{"type": "charge", "id": "c-2", "agency": "HSI"}])


# Forfeiture


def test_forfeiture_is_ok_when_every_action_has_its_deadline():
    f = facts(forfeiture={"op-1": {"agency": "HSI", "actions": 2, "without_deadline": 0}})
    assert status(f, "forfeiture") == OK


def test_forfeiture_without_a_deadline_is_a_gap_naming_the_operation():
    f = facts(forfeiture={"op-1": {"agency": "HSI", "actions": 2, "without_deadline": 0},
                          "op-2": {"agency": "DEA", "actions": 3, "without_deadline": 1}})
    found = item(f, "forfeiture")
    assert (found["status"], found["records"]) == (GAP, [{"type": "operation", "id": "op-2", "agency": "DEA"}])


# Score and readiness


def test_the_score_is_the_share_of_applicable_items_that_are_ok():
    result = checklist(facts(witnesses={"w-1": {"impeachable": False}}, reviews=REVIEWED))
    assert (result["score"], result["gaps"], result["ready"]) == (40, 3, False)


def test_a_case_with_every_applicable_item_ok_is_ready_with_full_score():
    f = facts(charges=SUPPORTED, subjects=IDENTIFIED, witnesses={"w-1": {"impeachable": False}},
              evidence={"e-1": evidence()}, reviews=REVIEWED)
    assert {k: checklist(f)[k] for k in ("score", "gaps", "ready")} == {"score": 100, "gaps": 0, "ready": True}


def test_a_not_applicable_item_neither_raises_nor_lowers_the_score():
    ready = facts(charges=SUPPORTED, subjects=IDENTIFIED, witnesses={"w-1": {"impeachable": False}},
                  evidence={"e-1": evidence()}, reviews=REVIEWED)
    with_draft = {**ready, "referrals": {"r-1": referral("draft")}}
    assert checklist(with_draft)["score"] == checklist(ready)["score"] == 100


AGENCIES = st.sampled_from(["HSI", "DEA", "CBP", "FBI"])
REFERRAL_STATUSES = st.sampled_from(["draft", "approved", "submitted", "accepted", "declined", "returned"])
IDS = st.text("abcdef0123", min_size=1, max_size=4)


@st.composite
def any_facts(draw: st.DrawFn) -> dict[str, Any]:
    subjects = draw(st.dictionaries(IDS, st.builds(subject, st.sampled_from(["unknown", "victim", "leader"]),
                                                   AGENCIES), max_size=3))
    return facts(
        subjects=subjects,
        contributors=draw(st.lists(AGENCIES, unique=True, max_size=3)),
        charges=draw(st.dictionaries(IDS, st.builds(charge, st.lists(st.booleans(), min_size=1, max_size=4),
                                                    st.lists(IDS, max_size=2)), max_size=3)),
        witnesses=draw(st.dictionaries(IDS, st.builds(lambda b: {"impeachable": b}, st.booleans()), max_size=2)),
        evidence=draw(st.dictionaries(IDS, st.builds(evidence, st.integers(0, 2), st.integers(0, 2), AGENCIES),
                                      max_size=3)),
        reviews=draw(st.fixed_dictionaries({}, optional={"jencks": st.lists(AGENCIES, max_size=2),
                                                         "brady_giglio": st.lists(AGENCIES, max_size=4)})),
        productions=draw(st.dictionaries(IDS, st.builds(lambda b: {"overlapping": b}, st.booleans()), max_size=2)),
        referrals=draw(st.dictionaries(IDS, st.builds(referral, REFERRAL_STATUSES), max_size=3)),
        forfeiture=draw(st.dictionaries(IDS, st.builds(
            lambda a, n: {"agency": a, "actions": 2, "without_deadline": n}, AGENCIES, st.integers(0, 2)),
            max_size=2)),
    )


@given(any_facts())
def test_the_score_is_a_percentage_and_a_case_is_ready_iff_it_has_no_gap_among_applicable_items(f):
    result = checklist(f)
    statuses = [i["status"] for i in result["items"]]
    applicable = [s for s in statuses if s != NOT_APPLICABLE]
    assert 0 <= result["score"] <= 100
    assert set(statuses) <= {OK, GAP, NOT_APPLICABLE}
    assert result["gaps"] == statuses.count(GAP)
    assert result["ready"] == (bool(applicable) and GAP not in statuses)
    assert abs(result["score"] - 100 * applicable.count(OK) / len(applicable)) <= 0.5
    assert (result["score"] == 100) == result["ready"]
    assert all(i["status"] != NOT_APPLICABLE for i in result["items"] if i["item"] in ALWAYS_DUE)
