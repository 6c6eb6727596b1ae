"""The hash chain over an investigation's events: each event's digest covers its content and the one before."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from domain.chain import GENESIS, canonical, event_digest
from domain.investigation import Investigation
from tests.domain.helpers import (
    AGENT,
    NOW,
    SUPERVISOR,
    add,
    entry_at,
    log,
    open_case,
    opened_case,
    person,
    recomputed_digest,
    refused,
    stored_state,
)


def eventful_case() -> Investigation:
    """A case with one event of every kind, none of them collected yet."""
    inv = open_case()
    log(inv, occurred_at=NOW - timedelta(days=1), location={"lat": 27.5, "lon": -99.5, "place": "Laredo"})
    add(inv, person(identifiers=[{"type": "phone", "value": "+1 555 123 4567"}]))
    inv.share(agency="DEA", access="read", envelope=AGENT)
    inv.share(agency="FBI", access="contribute", envelope=AGENT)
    inv.revoke_share(agency="FBI", envelope=AGENT)
    inv.change_status(status="active", reason="approved", merged_into=None, envelope=SUPERVISOR)
    inv.correct(corrects=2, entry=entry_at(inv, 2),
                changes={"summary": "Reworded"}, reason="typo", now=NOW, envelope=AGENT)
    return inv


def test_the_first_event_links_to_the_genesis_digest():
    assert eventful_case().collect_events()[0].prev_digest == GENESIS == "0" * 64


def test_each_event_links_to_the_digest_of_the_event_before_it():
    events = eventful_case().collect_events()

    assert [e.prev_digest for e in events[1:]] == [e.digest for e in events[:-1]]


def test_the_chain_continues_across_separately_collected_commands():
    inv = open_case()
    [opened] = inv.collect_events()

    log(inv)

    assert inv.collect_events()[0].prev_digest == opened.digest


def test_the_aggregates_chain_head_is_the_digest_of_its_last_event():
    inv = eventful_case()

    assert inv.chain_head == inv.collect_events()[-1].digest


def test_a_refused_command_leaves_the_chain_head_where_it_was():
    inv = opened_case()
    head = inv.chain_head

    refused(lambda: log(inv, kind="coffee_break"))

    assert inv.chain_head == head


def test_every_digest_can_be_recomputed_from_the_stored_event():
    events = eventful_case().collect_events()

    assert [recomputed_digest(e) for e in events] == [e.digest for e in events]


def test_every_event_has_a_distinct_digest():
    events = eventful_case().collect_events()

    assert len({e.digest for e in events}) == len(events)


def _other(value):
    if isinstance(value, bool) or value is None:
        return "tampered"
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dict):
        return {**value, "tampered": True}
    if isinstance(value, UUID):
        return uuid4()
    return value + timedelta(seconds=1)  # the datetimes


ACTION_FIELDS = ["kind", "summary", "location", "envelope", "occurred_at", "timestamp", "prev_digest"]


@pytest.mark.parametrize("name", ACTION_FIELDS)
def test_changing_any_field_of_a_stored_event_changes_its_digest(name):
    inv = opened_case()
    log(inv, location={"lat": 27.5, "lon": -99.5, "place": "Laredo"})
    [event] = inv.collect_events()
    state = stored_state(event)

    state[name] = _other(state[name])

    assert event_digest(get_topic(type(event)), event.originator_id, 2, state) != event.digest


def test_the_action_fields_tested_for_tampering_are_all_the_fields_it_stores():
    inv = opened_case()
    log(inv)
    [event] = inv.collect_events()

    assert set(stored_state(event)) - {"digest"} == set(ACTION_FIELDS)


def test_changing_a_nested_value_of_a_stored_event_changes_its_digest():
    inv = opened_case()
    log(inv, location={"lat": 27.5, "lon": -99.5, "place": "Laredo"})
    [event] = inv.collect_events()
    state = stored_state(event)

    state["location"] = {**state["location"], "lat": 27.6}

    assert event_digest(get_topic(type(event)), event.originator_id, 2, state) != event.digest


def test_moving_an_event_to_another_position_or_aggregate_or_type_changes_its_digest():
    inv = opened_case()
    log(inv)
    [event] = inv.collect_events()
    state, topic = stored_state(event), get_topic(type(event))

    assert event_digest(topic, event.originator_id, 3, state) != event.digest
    assert event_digest(topic, uuid4(), 2, state) != event.digest
    assert event_digest(get_topic(Investigation.SubjectAdded), event.originator_id, 2, state) != event.digest


def test_the_digest_ignores_the_digest_field_itself_and_the_class_version():
    state = {"summary": "s", "prev_digest": GENESIS}
    digest = event_digest("t", UUID(int=1), 1, state)

    assert event_digest("t", UUID(int=1), 1, {**state, "digest": "f" * 64, "class_version": 2}) == digest


def test_canonical_content_does_not_depend_on_key_order():
    assert canonical({"b": 1, "a": {"d": 2, "c": 3}}) == canonical({"a": {"c": 3, "d": 2}, "b": 1})


def test_a_value_with_no_plain_form_cannot_be_put_in_a_digest():
    with pytest.raises(TypeError):
        canonical({"x": object()})
