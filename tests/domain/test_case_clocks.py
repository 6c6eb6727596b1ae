"""A case's clocks: the opening report due 10 days after opening, a review every 90 days, per agency if set."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.case_clocks import OPENING_REPORT, REVIEW, ClockRules, due, overdue
from domain.errors import NotPermitted, StateConflict
from domain.investigation import Investigation
from tests.domain.helpers import AGENT, PARTNER_SUPERVISOR, SUPERVISOR, envelope, refused

OPENED = datetime(2026, 1, 1, 9, tzinfo=UTC)


def case(**fields):
    return {"agency": "HSI", "opened_at": OPENED, **fields}


def test_a_new_case_owes_its_opening_report_in_ten_days_and_a_review_in_ninety():
    assert due(case(), ClockRules()) == [(OPENING_REPORT, OPENED + timedelta(days=10)),
                                         (REVIEW, OPENED + timedelta(days=90))]


def test_a_filed_opening_report_stops_its_clock():
    assert [clock for clock, _ in due(case(opening_report_at=OPENED), ClockRules())] == [REVIEW]


def test_the_next_review_is_counted_from_the_last():
    reviewed = OPENED + timedelta(days=80)
    assert due(case(opening_report_at=OPENED, reviewed_at=reviewed), ClockRules()) == [
        (REVIEW, reviewed + timedelta(days=90))]


def test_an_agencys_own_rule_replaces_the_deployments():
    rules = ClockRules(per_agency={"HSI": {REVIEW: 60}})
    assert dict(due(case(), rules))[REVIEW] == OPENED + timedelta(days=60)


def test_a_clock_is_overdue_only_once_its_day_has_passed():
    on_the_day = OPENED + timedelta(days=10)
    later = on_the_day + timedelta(days=3, hours=1)
    assert (overdue(case(), ClockRules(), on_the_day), overdue(case(), ClockRules(), later)) == (
        [], [{"clock": OPENING_REPORT, "due_at": on_the_day, "days_overdue": 3}])


def opened() -> Investigation:
    inv = Investigation.open(id=uuid4(), case_number="HSI-2026-000001", title="T", threat_domain="cybercrime",
                             summary=None, envelope=AGENT)
    inv.collect_events()
    return inv


def test_a_supervisor_of_the_owning_agency_reviews_a_case():
    inv = opened()
    inv.review(note="on track; subpoena the bank", envelope=SUPERVISOR)
    assert inv.collect_events()[-1].note == "on track; subpoena the bank"


def test_an_agent_may_not_review_a_case():
    assert refused(lambda: opened().review(note="fine", envelope=AGENT), NotPermitted)


def test_a_supervisor_of_another_agency_may_not_review_a_case():
    assert refused(lambda: opened().review(note="fine", envelope=PARTNER_SUPERVISOR), NotPermitted)


def test_a_closed_case_is_not_reviewed():
    inv = opened()
    inv.change_status(status="closed", reason="done", merged_into=None, envelope=envelope("sam", "HSI", "supervisor"))
    assert refused(lambda: inv.review(note="late", envelope=SUPERVISOR), StateConflict)
