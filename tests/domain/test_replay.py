"""Replaying an investigation's events on a fresh aggregate rebuilds the same case."""

from uuid import uuid4

from tests.domain.helpers import AGENT, NOW, SUPERVISOR, add, business, entry_at, log, open_case, person, replay


def test_replaying_the_events_rebuilds_the_same_case():
    inv = open_case()
    log(inv)
    add(inv, person(identifiers=[{"type": "phone", "value": "+1 (555) 123-4567"}]))
    add(inv, business())
    inv.share(agency="DEA", access="read", envelope=AGENT)
    inv.share(agency="FBI", access="contribute", envelope=AGENT)
    inv.revoke_share(agency="DEA", envelope=AGENT)
    inv.change_status(status="active", reason="approved", merged_into=None, envelope=SUPERVISOR)

    rebuilt = replay(inv.collect_events())

    assert (rebuilt.id, rebuilt.version) == (inv.id, inv.version)
    assert (rebuilt.title, rebuilt.summary, rebuilt.threat_domain) == (inv.title, inv.summary, inv.threat_domain)
    assert (rebuilt.status, rebuilt.shares, rebuilt.subjects) == (inv.status, inv.shares, inv.subjects)
    assert rebuilt.chain_head == inv.chain_head


def test_replaying_corrections_rebuilds_the_corrected_case():
    inv = open_case(title="Coyote")
    subject_id = add(inv, person())
    inv.correct(corrects=1, entry=entry_at(inv, 1),
                changes={"title": "Sidewinder"}, reason="renamed", now=NOW, envelope=AGENT)
    inv.correct(corrects=2, entry=entry_at(inv, 2),
                changes={"role": "leader"}, reason="new intel", now=NOW, envelope=AGENT)

    rebuilt = replay(inv.collect_events())

    assert rebuilt.title == "Sidewinder"
    assert rebuilt.subjects[str(subject_id)]["role"] == "leader"
    assert rebuilt.chain_head == inv.chain_head


def test_replaying_a_merge_rebuilds_where_the_case_went():
    inv = open_case()
    other = uuid4()
    inv.change_status(status="merged", reason="duplicate", merged_into=other, envelope=SUPERVISOR)

    rebuilt = replay(inv.collect_events())

    assert (rebuilt.status, rebuilt.merged_into) == ("merged", other)
