"""An operation's lifecycle: planned, approved by a supervisor, started once nothing conflicts (or exempted),
completed with its results, or cancelled; late entries for operations recorded after they started."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import NotPermitted, StateConflict
from domain.operation import Operation, StartRefused
from domain.operation_plan import checked_plan
from tests.domain.helpers import AGENT, PARTNER_SUPERVISOR, SUPERVISOR, refused
from tests.domain.test_operation_plan import fields

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # the raid of `fields` started half an hour ago
BEFORE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # when it was planned


def planned() -> Operation:
    op = Operation.plan_for(id=uuid4(), investigation_id=uuid4(), number="DX26-0000-0001",
                            plan=checked_plan(fields(), now=BEFORE), envelope=AGENT)
    op.collect_events()
    return op


def approved() -> Operation:
    op = planned()
    op.approve(note="go", envelope=SUPERVISOR)
    return op


def started() -> Operation:
    op = approved()
    op.start(started_at=NOW, now=NOW, open_conflicts=[], envelope=AGENT)
    return op


def test_a_supervisor_of_the_planning_agency_approves_a_plan():
    op = approved()
    assert (op.status, op.approval["by"]["sub"], op.approval["note"]) == ("approved", "sam", "go")


def test_an_agent_may_not_approve_an_operation():
    assert refused(lambda: planned().approve(note=None, envelope=AGENT), NotPermitted)


def test_a_supervisor_of_another_agency_may_not_approve_an_operation():
    assert refused(lambda: planned().approve(note=None, envelope=PARTNER_SUPERVISOR), NotPermitted)


def test_an_amended_approved_plan_needs_approving_again():
    op = approved()
    op.amend(changes={"title": "Stash house, back door"}, now=BEFORE, envelope=AGENT)
    assert (op.status, op.approval) == ("planned", None)


def test_an_operation_does_not_start_before_it_is_approved():
    refusal = refused(lambda: planned().start(started_at=NOW, now=NOW, open_conflicts=[], envelope=AGENT),
                      StateConflict)
    assert "planned" in refusal.message and "approved" in refusal.message


def test_an_open_conflict_refuses_the_start_naming_it():
    refusal = refused(lambda: approved().start(started_at=NOW, now=NOW, open_conflicts=["c-1", "c-2"],
                                               envelope=AGENT), StartRefused)
    assert refusal.extensions == {"open_conflicts": ["c-1", "c-2"]}


def test_an_exempted_operation_starts_with_conflicts_open():
    op = approved()
    op.exempt(reason="the other team stood down by phone", envelope=SUPERVISOR)
    op.start(started_at=NOW, now=NOW, open_conflicts=["c-1"], envelope=AGENT)
    assert (op.status, op.exemption["reason"]) == ("started", "the other team stood down by phone")


def test_an_agent_may_not_exempt_an_operation():
    assert refused(lambda: approved().exempt(reason="in a hurry", envelope=AGENT), NotPermitted)


def test_an_operation_cannot_start_in_the_future():
    refusal = refused(lambda: approved().start(started_at=NOW + timedelta(minutes=1), now=NOW, open_conflicts=[],
                                               envelope=AGENT))
    assert refusal.field == "started_at"


def test_a_started_operation_completes_with_its_results():
    op = started()
    op.complete(results={"arrests": {"count": 2}}, subject_ids=frozenset(), completed_at=NOW, now=NOW,
                envelope=AGENT)
    assert (op.status, op.results, op.deconflicted) == ("completed", {"arrests": {"count": 2, "subject_ids": []}},
                                                        False)


def test_an_operation_does_not_complete_before_it_starts():
    refusal = refused(lambda: approved().complete(results=None, subject_ids=frozenset(), completed_at=NOW, now=NOW,
                                                  envelope=AGENT), StateConflict)
    assert "approved" in refusal.message


def test_a_completion_before_the_start_is_refused_naming_completed_at():
    refusal = refused(lambda: started().complete(results=None, subject_ids=frozenset(),
                                                 completed_at=NOW - timedelta(minutes=1), now=NOW, envelope=AGENT))
    assert refusal.field == "completed_at"


@pytest.mark.parametrize("make", [planned, approved, started])
def test_an_operation_may_be_cancelled_before_it_is_completed(make):
    op = make()
    op.cancel(reason="target moved", envelope=AGENT)
    assert (op.status, op.deconflicted) == ("cancelled", False)


def test_a_completed_operation_cannot_be_cancelled():
    op = started()
    op.complete(results=None, subject_ids=frozenset(), completed_at=NOW, now=NOW, envelope=AGENT)
    assert refused(lambda: op.cancel(reason="too late", envelope=AGENT), StateConflict)


def test_a_started_operation_cannot_be_withdrawn():
    assert refused(lambda: started().withdraw(reason="oops", envelope=AGENT), StateConflict)


def test_a_late_entry_is_started_from_its_start_and_says_why():
    plan = checked_plan(fields(starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1)), now=NOW,
                        late=True)
    op = Operation.record_late(id=uuid4(), investigation_id=uuid4(), number="DX26-0000-0002", plan=plan,
                               reason="exigent: shots fired", envelope=AGENT)
    assert (op.status, op.started_at, op.late_entry, op.deconflicted) == (
        "started", NOW - timedelta(hours=2), {"reason": "exigent: shots fired"}, True)


def test_a_late_entry_without_a_reason_is_refused_naming_late_entry_reason():
    plan = checked_plan(fields(starts_at=NOW - timedelta(hours=2)), now=NOW, late=True)
    refusal = refused(lambda: Operation.record_late(id=uuid4(), investigation_id=uuid4(), number="DX26-0000-0003",
                                                    plan=plan, reason="  ", envelope=AGENT))
    assert refusal.field == "late_entry_reason"
