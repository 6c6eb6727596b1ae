"""A referral of a case to a prosecutor's office: drafted by the owning agency, approved by its supervisor,
submitted, then accepted, declined or sent back by a prosecutor of the office, with a decision per count."""

from typing import Any
from uuid import uuid4

import pytest

from domain.errors import NotPermitted, StateConflict
from domain.investigation import PROSECUTION
from domain.referral import DECLINATION_REASONS, Referral
from tests.domain.helpers import AGENT, PARTNER_SUPERVISOR, SUPERVISOR, envelope, refused

OFFICE = "USAO-SDTX"
PROSECUTOR = envelope("paula", OFFICE, "prosecutor")
OTHER_OFFICE_PROSECUTOR = envelope("omar", "USAO-WDTX", "prosecutor")
OFFICE_PARALEGAL = envelope("penny", OFFICE, "agent")
SMUGGLING, CONSPIRACY = str(uuid4()), str(uuid4())


def drafted() -> Referral:
    referral = Referral.draft(id=uuid4(), investigation_id=uuid4(), office=OFFICE,
                              charge_ids=[SMUGGLING, CONSPIRACY], memo="Two counts against the Perez cell",
                              envelope=AGENT)
    referral.collect_events()
    return referral


def approved() -> Referral:
    referral = drafted()
    referral.approve(note="Ready to go", envelope=SUPERVISOR)
    return referral


def submitted() -> Referral:
    referral = approved()
    referral.submit(envelope=AGENT)
    return referral


def accepted(counts: Any) -> Referral:
    referral = submitted()
    referral.accept(counts=counts, memo="Indictment to follow", envelope=PROSECUTOR)
    return referral


def test_a_referral_is_drafted_by_the_owning_agency_for_the_office():
    referral = drafted()
    assert (referral.status, referral.owning_agency, referral.office, referral.charge_ids) == (
        "draft", "HSI", OFFICE, [SMUGGLING, CONSPIRACY])


def test_a_referral_goes_from_draft_to_approved_to_submitted_to_accepted():
    referral = drafted()
    statuses = [referral.status]
    referral.approve(note="Ready to go", envelope=SUPERVISOR)
    statuses.append(referral.status)
    referral.submit(envelope=AGENT)
    statuses.append(referral.status)
    referral.accept(counts=None, memo="Indictment to follow", envelope=PROSECUTOR)
    statuses.append(referral.status)
    assert statuses == ["draft", "approved", "submitted", "accepted"]
    assert [type(e).__name__ for e in referral.collect_events()] == ["Approved", "Submitted", "Decided"]
    assert (referral.approval["by"]["sub"], referral.decision["by"]["sub"]) == ("sam", "paula")


def test_an_agent_may_not_approve_a_referral():
    assert refused(lambda: drafted().approve(note=None, envelope=AGENT), NotPermitted)


def test_a_supervisor_of_another_agency_may_not_approve_a_referral():
    assert refused(lambda: drafted().approve(note=None, envelope=PARTNER_SUPERVISOR), NotPermitted)


def test_an_approved_referral_cannot_be_approved_again():
    assert refused(lambda: approved().approve(note=None, envelope=SUPERVISOR), StateConflict).field == "status"


def test_a_referral_cannot_be_submitted_before_it_is_approved():
    refusal = refused(lambda: drafted().submit(envelope=AGENT), StateConflict)
    assert (refusal.field, "draft" in refusal.message, "approved" in refusal.message) == ("status", True, True)


@pytest.mark.parametrize("who", [OTHER_OFFICE_PROSECUTOR, OFFICE_PARALEGAL, SUPERVISOR, AGENT],
                         ids=["prosecutor_of_another_office", "non_prosecutor_of_the_office", "owner_supervisor",
                              "owner_agent"])
def test_only_a_prosecutor_of_the_office_decides_a_referral(who):
    referral = submitted()
    referral.collect_events()
    assert refused(lambda: referral.accept(counts=None, memo=None, envelope=who), NotPermitted)
    assert refused(lambda: referral.decline(reason="insufficient_evidence", memo="Weak", envelope=who),
                   NotPermitted)
    assert refused(lambda: referral.send_back(memo="More", envelope=who), NotPermitted)
    assert (referral.status, referral.collect_events()) == ("submitted", [])


def test_a_referral_not_yet_submitted_cannot_be_decided():
    assert refused(lambda: approved().accept(counts=None, memo=None, envelope=PROSECUTOR), StateConflict)


def test_a_decided_referral_cannot_be_decided_again():
    referral = accepted(None)
    assert refused(lambda: referral.send_back(memo="Changed our mind", envelope=PROSECUTOR), StateConflict)


def test_accepting_without_counts_charges_every_count():
    assert accepted(None).decision["counts"] == [
        {"charge_id": SMUGGLING, "decision": "charge", "reason": None},
        {"charge_id": CONSPIRACY, "decision": "charge", "reason": None}]


def test_accepting_keeps_a_decision_per_count_in_the_order_referred():
    referral = accepted([
        {"charge_id": CONSPIRACY, "decision": "decline", "reason": "insufficient_evidence"},
        {"charge_id": SMUGGLING, "decision": "charge"}])
    assert referral.decision["counts"] == [
        {"charge_id": SMUGGLING, "decision": "charge", "reason": None},
        {"charge_id": CONSPIRACY, "decision": "decline", "reason": "insufficient_evidence"}]


def test_accepting_with_a_count_left_undecided_is_refused_naming_counts():
    refusal = refused(lambda: accepted([{"charge_id": SMUGGLING, "decision": "charge"}]))
    assert (refusal.field, CONSPIRACY in refusal.message) == ("counts", True)


def test_a_declined_count_without_a_reason_is_refused_naming_its_reason():
    refusal = refused(lambda: accepted([{"charge_id": SMUGGLING, "decision": "charge"},
                                        {"charge_id": CONSPIRACY, "decision": "decline"}]))
    assert refusal.field == "counts.1.reason"


def test_a_declined_count_with_a_reason_outside_the_justice_manual_is_refused_naming_its_reason():
    refusal = refused(lambda: accepted([{"charge_id": SMUGGLING, "decision": "decline", "reason": "busy"},
                                        {"charge_id": CONSPIRACY, "decision": "charge"}]))
    assert refusal.field == "counts.0.reason"


def test_a_count_not_in_the_referral_is_refused_naming_its_charge_id():
    refusal = refused(lambda: accepted([{"charge_id": SMUGGLING, "decision": "charge"},
                                        {"charge_id": str(uuid4()), "decision": "charge"}]))
    assert refusal.field == "counts.1.charge_id"


def test_a_count_decision_other_than_charge_or_decline_is_refused_naming_it():
    refusal = refused(lambda: accepted([{"charge_id": SMUGGLING, "decision": "defer"}]))
    assert refusal.field == "counts.0.decision"


@pytest.mark.parametrize("reason", DECLINATION_REASONS)
def test_declining_declines_every_count_with_the_reason_given(reason):
    referral = submitted()
    referral.decline(reason=reason, memo="See the declination memo", envelope=PROSECUTOR)
    assert (referral.status, referral.decision["reason"]) == ("declined", reason)
    assert referral.decision["counts"] == [{"charge_id": c, "decision": "decline", "reason": reason}
                                           for c in (SMUGGLING, CONSPIRACY)]


@pytest.mark.parametrize("reason", [None, "", "too_busy", "Insufficient_Evidence"])
def test_a_declination_without_a_justice_manual_reason_is_refused_naming_reason(reason):
    referral = submitted()
    refusal = refused(lambda: referral.decline(reason=reason, memo="No", envelope=PROSECUTOR))
    assert (refusal.field, referral.status) == ("reason", "submitted")


def test_a_referral_sent_back_is_returned_with_what_is_missing():
    referral = submitted()
    referral.send_back(memo="Interview the second driver", envelope=PROSECUTOR)
    assert (referral.status, referral.decision["memo"], referral.decision["counts"]) == (
        "returned", "Interview the second driver", [])


def test_an_agency_may_not_refer_a_case_to_itself():
    refusal = refused(lambda: Referral.draft(id=uuid4(), investigation_id=uuid4(), office="HSI",
                                             charge_ids=[SMUGGLING], memo=None, envelope=AGENT))
    assert refusal.field == "office"


def test_an_office_that_is_not_an_agency_code_is_refused_naming_office():
    refusal = refused(lambda: Referral.draft(id=uuid4(), investigation_id=uuid4(), office="usao sdtx",
                                             charge_ids=[SMUGGLING], memo=None, envelope=AGENT))
    assert refusal.field == "office"


@pytest.mark.parametrize("make", [drafted, approved, submitted])
def test_the_owning_agency_owns_its_referral(make):
    assert make().access_of("HSI") == "owner"


@pytest.mark.parametrize("make", [drafted, approved])
def test_the_office_sees_nothing_of_a_referral_before_it_is_submitted(make):
    assert make().access_of(OFFICE) is None


@pytest.mark.parametrize("make", [submitted, lambda: accepted(None)])
def test_the_office_reads_the_referral_as_prosecution_once_submitted(make):
    assert make().access_of(OFFICE) == PROSECUTION == "prosecution"


def test_another_agency_sees_nothing_of_a_submitted_referral():
    assert submitted().access_of("DEA") is None


def test_a_count_decided_twice_in_one_acceptance_is_refused_naming_the_second():
    referral = submitted()
    error = refused(lambda: referral.accept(counts=[
        {"charge_id": SMUGGLING, "decision": "charge"},
        {"charge_id": SMUGGLING, "decision": "decline", "reason": "insufficient_evidence"},
        {"charge_id": CONSPIRACY, "decision": "charge"}], memo=None, envelope=PROSECUTOR))
    assert (error.field, referral.status) == ("counts.1.charge_id", "submitted")
