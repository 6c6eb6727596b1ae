"""A case as it stood: any prefix of what was known folds to the case its events made at the time."""

from hypothesis import given
from hypothesis import strategies as st

from domain.case_history import as_it_stood
from tests.domain.helpers import AGENT, NOW, SUPERVISOR, add, entry_at, log, open_case, person, replay


def story():
    """Every kind of entry, a correction of the opening and of a subject among them: 9 events."""
    inv = open_case(title="Coyote")
    log(inv)
    add(inv, person())
    inv.share(agency="DEA", access="read", envelope=AGENT)
    inv.correct(corrects=1, entry=entry_at(inv, 1), changes={"title": "Sidewinder"}, reason="renamed", now=NOW,
                envelope=AGENT)
    inv.correct(corrects=3, entry=entry_at(inv, 3), changes={"name": "Juan Ortega"}, reason="typo", now=NOW,
                envelope=AGENT)
    inv.change_status(status="active", reason="approved", merged_into=None, envelope=SUPERVISOR)
    inv.revoke_share(agency="DEA", envelope=AGENT)
    log(inv)
    return inv.collect_events()


EVENTS = story()


@given(known=st.integers(1, len(EVENTS)))
def test_what_was_known_folds_to_the_case_those_events_made(known):
    known_at = EVENTS[known - 1].timestamp
    stood = as_it_stood(EVENTS, as_of=None, known_at=known_at)

    made = replay([e for e in EVENTS if e.timestamp <= known_at])  # two events may share a microsecond
    assert (stood.case.title, stood.case.status, stood.case.shares, stood.case.subjects) == (
        made.title, made.status, made.shares, made.subjects)


def test_before_the_case_was_opened_nothing_had_happened():
    stood = as_it_stood(EVENTS, as_of=EVENTS[0].occurred_at.replace(year=2000), known_at=None)

    assert (stood.case, stood.entries) == (None, [])
