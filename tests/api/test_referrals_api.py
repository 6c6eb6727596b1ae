"""Referrals through the API: drafted, approved, submitted, decided, each step with If-Match; prosecutor access
begins at submission and is read only, on both stores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from coordination.context import RequestContext
from domain.envelope import Actor
from domain.investigation import Investigation
from tests.api.support import (
    API,
    OFFICE,
    REFERRALS,
    as_,
    created,
    log_action,
    open_case,
    problem,
    referral_step,
    share,
    shared_case,
    submitted_referral,
    write,
)


def draft(client: Any, case: Any, **fields: Any) -> dict[str, Any]:
    return created(client.post(f"{case.url}/referrals", headers=as_("hsi_agent"), json={"office": OFFICE, **fields}))


def charge(client: Any, case: Any, statute: str = "8 U.S.C. 1324(a)(1)(A)(ii)") -> str:
    return created(client.post(f"{case.url}/charges", headers=as_("hsi_agent"), json={"statute": statute}))[
        "created_id"]


def test_a_drafted_referral_goes_through_approval_and_submission_to_acceptance(client):
    case = open_case(client)
    referral = submitted_referral(client, case)
    accepted = referral_step(client, referral, "accept", "usao_prosecutor", {"memo": "indictment to follow"})
    assert (accepted["status"], accepted["decision"]["by"]["agency"], accepted["approval"]["by"]["sub"]) == (
        "accepted", OFFICE, "sam")


def test_a_prosecutor_cannot_see_a_case_before_it_is_submitted_to_their_office(client):
    case = open_case(client)
    referral_step(client, draft(client, case), "approve", "hsi_supervisor")
    problem(client.get(case.url, headers=as_("usao_prosecutor")), 404)


def test_a_prosecutor_reads_the_case_from_its_submission(client):
    case = open_case(client)
    submitted_referral(client, case)
    assert created(client.get(case.url, headers=as_("usao_prosecutor")), 200)["id"] == case.id


def test_a_prosecutor_reads_the_case_history_and_its_file(client):
    case = open_case(client)
    submitted_referral(client, case)
    for path in ("/timeline", "/history", "/history/verify", "/evidence", "/case-file", "/referrals"):
        created(client.get(f"{case.url}{path}", headers=as_("usao_prosecutor")), 200)


def test_every_write_of_a_prosecutor_to_a_referred_case_is_forbidden(client):
    case = open_case(client)
    submitted_referral(client, case)
    writes = {"/actions": {"kind": "interview", "summary": "x"}, "/charges": {"statute": "18 U.S.C. 1591"},
              "/witnesses": {"name": "x", "kind": "civilian", "anticipated_testimony": "y"},
              "/referrals": {"office": OFFICE}}
    statuses = {path: client.post(f"{case.url}{path}", json=body, headers=as_("usao_prosecutor")).status_code
                for path, body in writes.items()}
    assert set(statuses.values()) == {403}, statuses


def test_a_prosecutor_of_another_office_does_not_see_the_referred_case(client):
    case = open_case(client)
    submitted_referral(client, case)
    problem(client.get(case.url, headers=as_("usao_prosecutor", Authorization=_token("USAO-EDNY"))), 404)


def _token(agency: str) -> str:
    from tests.conftest import token

    return f"Bearer {token('nina', agency, ('prosecutor',))}"


def test_a_prosecutor_does_not_see_what_a_partner_agency_put_into_the_case(client):
    case = shared_case(client)  # CBP logged an action on HSI's case
    submitted_referral(client, case)
    timeline = created(client.get(f"{case.url}/timeline", headers=as_("usao_prosecutor")), 200)
    assert "CBP" not in {item["actor"]["agency"] for item in timeline["items"]}


def test_an_agent_cannot_approve_a_referral(client):
    referral = draft(client, open_case(client))
    response = client.post(f"{REFERRALS}/{referral['id']}/approve", json={}, headers=as_("hsi_agent", If_Match='"1"'))
    problem(response, 403)


def test_a_referral_submitted_before_its_approval_is_a_conflict_naming_its_state(client):
    referral = draft(client, open_case(client))
    refusal = problem(client.post(f"{REFERRALS}/{referral['id']}/submit", json={},
                                  headers=as_("hsi_agent", If_Match='"1"')), 409)
    assert "draft" in refusal["detail"]


def test_a_step_without_if_match_is_refused_with_428(client):
    referral = draft(client, open_case(client))
    problem(client.post(f"{REFERRALS}/{referral['id']}/approve", json={}, headers=as_("hsi_supervisor")), 428)


def test_a_step_naming_a_stale_version_is_refused_with_412(client):
    referral = draft(client, open_case(client))
    problem(client.post(f"{REFERRALS}/{referral['id']}/approve", json={},
                        headers=as_("hsi_supervisor", If_Match='"7"')), 412)


def test_the_referring_agency_cannot_decide_its_own_referral(client):
    referral = submitted_referral(client, open_case(client))
    response = client.post(f"{REFERRALS}/{referral['id']}/accept", json={},
                           headers=as_("hsi_supervisor", If_Match=f'"{referral["version"]}"'))
    problem(response, 403)


def test_a_declination_needs_a_justice_manual_reason(client):
    referral = submitted_referral(client, open_case(client))
    response = client.post(f"{REFERRALS}/{referral['id']}/decline", json={"reason": "busy", "memo": "no"},
                           headers=as_("usao_prosecutor", If_Match=f'"{referral["version"]}"'))
    assert "reason" in problem(response, 422)["errors"]


def test_a_declined_referral_keeps_the_offices_read_access_by_default(client):
    case = open_case(client)
    referral = submitted_referral(client, case)
    referral_step(client, referral, "decline", "usao_prosecutor",
                  {"reason": "no_substantial_federal_interest", "memo": "state charges pending"})
    assert created(client.get(case.url, headers=as_("usao_prosecutor")), 200)["id"] == case.id


def test_a_deployment_that_does_not_keep_access_closes_the_case_to_an_office_that_returned_it(client, services):
    services.referrals.access_kept = False  # as PATHWAYS_REFERRAL_ACCESS_KEPT=no configures it
    case = open_case(client)
    referral = submitted_referral(client, case)
    referral_step(client, referral, "return", "usao_prosecutor", {"memo": "identify the money courier"})
    problem(client.get(case.url, headers=as_("usao_prosecutor")), 404)


def test_a_returned_referral_says_what_more_is_needed(client):
    referral = submitted_referral(client, open_case(client))
    returned = referral_step(client, referral, "return", "usao_prosecutor", {"memo": "identify the money courier"})
    assert (returned["status"], returned["decision"]["memo"]) == ("returned", "identify the money courier")


def test_acceptance_decides_every_count_and_a_declined_count_says_why(client):
    case = open_case(client)
    smuggling, laundering = charge(client, case), charge(client, case, "18 U.S.C. 1956(h)")
    referral = submitted_referral(client, case, charge_ids=[smuggling, laundering])
    accepted = referral_step(client, referral, "accept", "usao_prosecutor", {"counts": [
        {"charge_id": smuggling, "decision": "charge"},
        {"charge_id": laundering, "decision": "decline", "reason": "insufficient_evidence"}]})
    assert [(c["decision"], c["reason"]) for c in accepted["decision"]["counts"]] == [
        ("charge", None), ("decline", "insufficient_evidence")]


def test_acceptance_that_leaves_a_count_undecided_is_refused(client):
    case = open_case(client)
    smuggling, laundering = charge(client, case), charge(client, case, "18 U.S.C. 1956(h)")
    referral = submitted_referral(client, case, charge_ids=[smuggling, laundering])
    response = client.post(f"{REFERRALS}/{referral['id']}/accept", json={"counts": [
        {"charge_id": smuggling, "decision": "charge"}]},
        headers=as_("usao_prosecutor", If_Match=f'"{referral["version"]}"'))
    assert "counts" in problem(response, 422)["errors"]


def test_a_referral_naming_a_charge_the_case_does_not_have_is_refused(client):
    case = open_case(client)
    response = client.post(f"{case.url}/referrals", headers=as_("hsi_agent"),
                           json={"office": OFFICE, "charge_ids": [case.id]})
    assert "charge_ids.0" in problem(response, 422)["errors"]


def test_the_office_sees_only_its_own_submitted_referrals_of_the_case(client):
    case = open_case(client)
    submitted_referral(client, case)
    draft(client, case, memo="a second thought, not sent")
    listed = created(client.get(f"{case.url}/referrals", headers=as_("usao_prosecutor")), 200)
    assert [r["status"] for r in listed["items"]] == ["submitted"]


def test_the_owner_sees_every_referral_of_its_case(client):
    case = open_case(client)
    submitted_referral(client, case)
    draft(client, case)
    listed = created(client.get(f"{case.url}/referrals", headers=as_("hsi_agent")), 200)
    assert [r["status"] for r in listed["items"]] == ["submitted", "draft"]


def test_a_prosecutor_does_not_find_a_draft_referral_to_their_office(client):
    referral = draft(client, open_case(client))
    problem(client.get(f"{REFERRALS}/{referral['id']}", headers=as_("usao_prosecutor")), 404)


def test_the_case_history_shows_when_the_office_was_given_access(client):
    case = open_case(client)
    log_action(client, case)
    referral = submitted_referral(client, case)
    timeline = created(client.get(f"{case.url}/timeline", headers=as_("hsi_agent")), 200)
    assert timeline["items"][-1]["data"] == {"office": OFFICE, "referral_id": referral["id"]}


def test_an_agent_of_the_office_does_not_read_a_case_referred_to_it(client):
    case = open_case(client)
    submitted_referral(client, case)
    problem(client.get(f"{API}/investigations/{case.id}", headers=as_("usao_prosecutor", Authorization=_agent())),
            404)


def _agent() -> str:
    from tests.conftest import token

    return f"Bearer {token('olga', OFFICE, ('agent',))}"


def active_case(client: Any) -> Any:
    case = open_case(client)
    write(client, case, "POST", "/status", {"status": "active", "reason": "opening approved"}, "hsi_supervisor",
          status=200, If_Match=f'"{case.version}"')
    return case


def status_of(client: Any, case: Any) -> str:
    return created(client.get(case.url, headers=as_("hsi_agent")), 200)["status"]


def test_submitting_a_referral_of_an_active_case_makes_the_case_referred(client):
    case = active_case(client)
    submitted_referral(client, case)
    assert status_of(client, case) == "referred"


def test_an_accepted_referral_makes_the_case_accepted(client):
    case = active_case(client)
    referral_step(client, submitted_referral(client, case), "accept", "usao_prosecutor")
    assert status_of(client, case) == "accepted"


def test_a_declined_referral_makes_the_case_declined(client):
    case = active_case(client)
    referral_step(client, submitted_referral(client, case), "decline", "usao_prosecutor",
                  {"reason": "prosecution_in_another_jurisdiction", "memo": "Florida charges it"})
    assert status_of(client, case) == "declined"


def test_a_returned_referral_makes_the_case_active_again(client):
    case = active_case(client)
    referral_step(client, submitted_referral(client, case), "return", "usao_prosecutor", {"memo": "more"})
    assert status_of(client, case) == "active"


def test_a_case_its_lifecycle_does_not_let_be_referred_keeps_its_status(client):
    case = open_case(client)  # opened, not yet active: the referral is the record of the referral
    submitted_referral(client, case)
    assert status_of(client, case) == "opened"


def test_a_case_cannot_be_referred_to_an_office_it_is_shared_with(client):
    case = open_case(client)
    share(client, case, OFFICE, "read")
    response = client.post(f"{case.url}/referrals", headers=as_("hsi_agent"), json={"office": OFFICE})
    assert OFFICE in problem(response, 409)["detail"]


def test_a_case_referred_to_an_office_cannot_also_be_shared_with_it(client):
    case = open_case(client)
    submitted_referral(client, case)
    response = client.post(f"{case.url}/shares", headers=as_("hsi_agent"), json={"agency": OFFICE, "access": "read"})
    assert "agency" in problem(response, 422)["errors"]


def test_a_closed_case_is_not_referred(client):
    case = open_case(client)
    write(client, case, "POST", "/status", {"status": "closed", "reason": "no prosecution"}, "hsi_supervisor",
          status=200, If_Match=f'"{case.version}"')
    problem(client.post(f"{case.url}/referrals", headers=as_("hsi_agent"), json={"office": OFFICE}), 409)


def test_one_offices_declination_does_not_undo_another_offices_acceptance(client):
    case = active_case(client)
    accepted_by_us = submitted_referral(client, case)
    other = submitted_referral(client, case, office="USAO-EDNY")
    referral_step(client, accepted_by_us, "accept", "usao_prosecutor")
    response = client.post(f"{REFERRALS}/{other['id']}/decline", json={"reason": "no_substantial_federal_interest",
                                                                      "memo": "SDFL has it"},
                           headers={"Authorization": _token("USAO-EDNY"), "If-Match": f'"{other["version"]}"'})
    created(response, 200)
    assert status_of(client, case) == "accepted"


def test_an_office_with_a_second_referral_still_open_keeps_reading_when_the_first_is_returned(client, services):
    services.referrals.access_kept = False  # as PATHWAYS_REFERRAL_ACCESS_KEPT=no configures it
    case = open_case(client)
    first, second = submitted_referral(client, case), submitted_referral(client, case)
    referral_step(client, first, "return", "usao_prosecutor", {"memo": "identify the courier"})
    assert (created(client.get(case.url, headers=as_("usao_prosecutor")), 200)["id"], second["status"]) == (
        case.id, "submitted")


def test_a_submission_retries_when_a_write_to_the_case_lands_between_its_read_and_its_save(client, services,
                                                                                         monkeypatch):
    case = open_case(client)
    referral = referral_step(client, created(client.post(f"{case.url}/referrals", headers=as_("hsi_agent"),
                                                         json={"office": OFFICE})), "approve", "hsi_supervisor")
    refer, raced = Investigation.refer, []

    def refer_after_another_write(inv: Investigation, **fields: Any) -> None:
        if not raced:  # the first attempt: an agent logs an action to the case before the submission saves
            raced.append(services.investigations.log_action(
                RequestContext(actor=Actor("carl", "HSI", roles=frozenset({"agent"}))), UUID(case.id),
                kind="interview", summary="a late interview", occurred_at=None, location=None,
                expected_version=None))
        refer(inv, **fields)

    monkeypatch.setattr(Investigation, "refer", refer_after_another_write)

    submitted = referral_step(client, referral, "submit", "hsi_agent")
    assert (submitted["status"], len(raced)) == ("submitted", 1)
