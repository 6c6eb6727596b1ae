"""Moving a case along its lifecycle (DOMAIN.md §3): allowed transitions, who may make them, and why."""

from uuid import uuid4

import pytest

from domain.errors import InvalidTransition
from domain.investigation import Investigation
from domain.lifecycle import STATUSES, SUPERVISOR_ONLY, TRANSITIONS
from tests.domain.helpers import AGENT, SUPERVISOR, only_event, opened_case, refused

# How a case opened today reaches each status.
PATH_TO = {
    "opened": [],
    "active": ["active"],
    "referred": ["active", "referred"],
    "accepted": ["active", "referred", "accepted"],
    "declined": ["active", "referred", "declined"],
    "charged": ["active", "referred", "accepted", "charged"],
    "adjudicated": ["active", "referred", "accepted", "charged", "adjudicated"],
    "closed": ["closed"],
    "suspended": ["suspended"],
    "reopened": ["closed", "reopened"],
    "merged": ["merged"],
}


def case_in(status: str) -> Investigation:
    inv = opened_case()
    for step in PATH_TO[status]:
        move(inv, step)
    inv.collect_events()
    assert inv.status == status
    return inv


def move(inv: Investigation, status: str, *, by=SUPERVISOR, reason: str = "as planned", merged_into=None) -> None:
    if status == "merged" and merged_into is None:
        merged_into = uuid4()
    inv.change_status(status=status, reason=reason, merged_into=merged_into, envelope=by)


def test_every_status_has_a_way_to_reach_it_and_its_transitions_listed():
    assert set(PATH_TO) == set(STATUSES) == set(TRANSITIONS)


@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, targets in TRANSITIONS.items() for t in sorted(targets)]
)
def test_every_allowed_transition_succeeds(current, target):
    inv = case_in(current)

    move(inv, target)

    event = only_event(inv)
    assert isinstance(event, Investigation.StatusChanged)
    assert (event.from_status, event.to_status, event.reason) == (current, target, "as planned")
    assert inv.status == target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("opened", "referred"),
        ("opened", "opened"),
        ("active", "charged"),
        ("referred", "closed"),
        ("charged", "closed"),
        ("closed", "active"),
        ("suspended", "active"),
        ("merged", "reopened"),
        ("opened", "archived"),
    ],
)
def test_a_transition_the_lifecycle_does_not_allow_is_refused(current, target):
    inv = case_in(current)

    error = refused(lambda: move(inv, target), InvalidTransition)

    assert error.field == "status"
    assert inv.status == current
    assert inv.collect_events() == []


@pytest.mark.parametrize("target", sorted(SUPERVISOR_ONLY & TRANSITIONS["opened"]))
def test_an_agent_who_is_not_a_supervisor_cannot_make_a_supervisor_only_change(target):
    inv = case_in("opened")

    error = refused(lambda: move(inv, target, by=AGENT))

    assert error.field == "status"
    assert inv.status == "opened"


@pytest.mark.parametrize(("current", "target"), [("referred", "accepted"), ("referred", "declined"),
                                                 ("accepted", "charged"), ("charged", "adjudicated")])
def test_an_agent_may_record_a_prosecutors_decision_without_a_supervisor(current, target):
    inv = case_in(current)

    move(inv, target, by=AGENT)

    assert inv.status == target


@pytest.mark.parametrize("reason", ["", "   ", "r" * 2001])
def test_a_status_change_without_a_reason_is_refused(reason):
    inv = case_in("opened")

    assert refused(lambda: move(inv, "active", reason=reason)).field == "reason"
    assert inv.status == "opened"


def test_merging_records_the_case_it_was_merged_into():
    inv = case_in("active")
    other = uuid4()

    move(inv, "merged", merged_into=other)

    assert only_event(inv).merged_into == other
    assert inv.merged_into == other


def test_merging_without_naming_the_case_it_goes_into_is_refused():
    inv = case_in("active")

    error = refused(lambda: inv.change_status(status="merged", reason="dup", merged_into=None, envelope=SUPERVISOR))

    assert error.field == "merged_into"


def test_a_case_cannot_be_merged_into_itself():
    inv = case_in("active")

    assert refused(lambda: move(inv, "merged", merged_into=inv.id)).field == "merged_into"


def test_naming_a_case_to_merge_into_with_another_status_is_refused():
    inv = case_in("active")

    error = refused(lambda: move(inv, "closed", merged_into=uuid4()))

    assert error.field == "merged_into"


def test_a_case_returned_by_the_prosecutors_goes_back_to_active():
    inv = case_in("referred")

    move(inv, "active")

    assert inv.status == "active"


@pytest.mark.parametrize(("current", "target", "moved"), [("active", "referred", True), ("referred", "accepted", True),
                                                          ("opened", "referred", False),
                                                          ("suspended", "declined", False)])
def test_a_case_follows_its_referral_only_where_its_lifecycle_allows(current, target, moved):
    inv = case_in(current)

    followed = inv.follow_referral(status=target, reason="referred to USAO-SDFL", envelope=AGENT)

    assert (followed, inv.status) == (moved, target if moved else current)
