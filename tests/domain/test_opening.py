"""Opening an investigation: who owns it, what its opening must say, what the Opened event records."""

import pytest

from domain.chain import GENESIS
from domain.investigation import Investigation
from domain.vocabulary import THREAT_DOMAINS
from tests.domain.helpers import AGENT, CASE_NUMBER, KEYS, envelope, open_case, refused


def test_the_owning_agency_and_case_agent_come_from_the_actor_who_opens_it():
    inv = open_case(by=envelope("carol", "CBP", "agent", name="Carol Diaz"))

    assert inv.owning_agency == "CBP"
    assert inv.case_agent == {"sub": "carol", "name": "Carol Diaz"}


def test_a_new_case_is_opened_under_its_case_number_and_id():
    inv = open_case()

    assert (inv.id, inv.case_number, inv.status) == (KEYS.investigation(CASE_NUMBER), CASE_NUMBER, "opened")


def test_the_title_is_trimmed():
    assert open_case(title="  Operation Coyote Run \n").title == "Operation Coyote Run"


@pytest.mark.parametrize("title", ["", "   ", "x" * 301])
def test_a_title_that_is_empty_or_longer_than_300_characters_is_refused(title):
    assert refused(lambda: open_case(title=title)).field == "title"


def test_a_title_of_exactly_300_characters_is_accepted():
    assert len(open_case(title="x" * 300).title) == 300


def test_a_title_that_is_not_text_is_refused():
    assert refused(lambda: open_case(title=42)).field == "title"


@pytest.mark.parametrize("threat_domain", THREAT_DOMAINS)
def test_every_listed_threat_domain_is_accepted(threat_domain):
    assert open_case(threat_domain=threat_domain).threat_domain == threat_domain


def test_a_threat_domain_outside_the_list_is_refused():
    assert refused(lambda: open_case(threat_domain="jaywalking")).field == "threat_domain"


def test_the_summary_is_optional_and_then_empty():
    assert open_case(summary=None).summary == ""


def test_a_summary_longer_than_10000_characters_is_refused():
    assert refused(lambda: open_case(summary="s" * 10_001)).field == "summary"


def test_the_opened_event_records_what_was_opened():
    [opened] = open_case(title=" Coyote ", summary=" corridor ").collect_events()

    assert isinstance(opened, Investigation.Opened)
    assert (opened.case_number, opened.title, opened.threat_domain, opened.summary) == (
        CASE_NUMBER, "Coyote", "human_smuggling", "corridor",
    )
    assert (opened.owning_agency, opened.case_agent) == ("HSI", {"sub": "alice", "name": "Alice"})


def test_the_opened_event_carries_the_envelope_of_the_request():
    [opened] = open_case(by=envelope("alice", "HSI", "supervisor", "agent", request_id="req-42")).collect_events()

    assert opened.envelope == {
        "actor": {"sub": "alice", "name": "Alice", "agency": "HSI", "roles": ["agent", "supervisor"]},
        "request_id": "req-42",
    }


def test_the_opened_event_happened_when_it_was_recorded():
    [opened] = open_case().collect_events()

    assert opened.occurred_at == opened.timestamp
    assert opened.occurred_at.tzinfo is not None


def test_the_opened_event_is_the_first_link_of_the_hash_chain():
    [opened] = open_case(by=AGENT).collect_events()

    assert opened.prev_digest == GENESIS
    assert len(opened.digest) == 64 and opened.digest != GENESIS


def test_the_opening_is_entry_one_authored_by_the_opener():
    opened = open_case().collect_events()[0]
    assert Investigation.entry_of(opened) == {"version": 1, "kind": "opening", "author": "alice", "agency": "HSI",
                                              "subject_id": None}
