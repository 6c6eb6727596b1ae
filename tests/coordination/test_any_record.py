"""The cross-cutting code works for any record that declares itself, not only for investigations.

A record kind that exists only in this test (a memo an agency shares) goes through the access policies, the
command runner, the timeline, the integrity check and the audit owner lookup, none of which knows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from coordination import access
from coordination.commands import Target
from coordination.context import RequestContext, Touched
from coordination.errors import Conflict, Forbidden, NotFound
from domain.aggregate import ChainedAggregate
from domain.envelope import Actor, Envelope
from domain.errors import StateConflict

OWNER = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r1")
PARTNER = RequestContext(Actor("dave", "DEA", "Dave", frozenset({"agent"})), "r2")
STRANGER = RequestContext(Actor("frank", "FBI", "Frank", frozenset({"agent"})), "r3")


class Memo(ChainedAggregate):
    """A note an agency writes and lets others read."""

    type_name = "memo"

    if TYPE_CHECKING:
        readers: list[str]

    class Written(ChainedAggregate.Created):
        owner: str
        text: str

        def apply(self, memo: Memo) -> None:
            memo.owning_agency, memo.readers = self.owner, []

    class Shown(ChainedAggregate.Event):
        agency: str

        def apply(self, memo: Memo) -> None:
            memo.readers.append(self.agency)

    @classmethod
    def write(cls, envelope: Envelope, text: str) -> Memo:
        return cls._start(cls.Written, id=uuid4(), envelope=envelope, owner=envelope.actor.agency, text=text)

    def show(self, agency: str, envelope: Envelope) -> None:
        self._record(self.Shown, envelope=envelope, agency=agency)

    def access_of(self, agency: str) -> str | None:
        return "owner" if agency == self.owning_agency else ("read" if agency in self.readers else None)


def _memo_shown_to_dea(services: Any) -> UUID:
    memo = Memo.write(OWNER.envelope, "meet at the usual place")

    def show(session: Any, record: Memo) -> dict[str, Any]:
        record.show("DEA", OWNER.envelope)
        session.add(record)
        return {"id": record.id}

    services.ledger.save(memo)
    services.investigations.runner.run(OWNER, show, target=Target(Memo, memo.id, access.MANAGE),
                                       retry_on_conflict=True)
    return memo.id


def test_a_command_on_any_record_says_which_record_it_touched(services):
    memo_id = _memo_shown_to_dea(services)
    outcome = services.investigations.runner.run(
        OWNER, lambda session, record: {"id": record.id}, target=Target(Memo, memo_id, access.READ),
        retry_on_conflict=True)
    assert outcome.touched == Touched("memo", str(memo_id), "HSI")


def test_a_record_of_any_kind_is_a_404_named_for_its_kind_to_an_agency_that_may_not_see_it(services):
    memo_id = _memo_shown_to_dea(services)
    with pytest.raises(NotFound, match="no such memo") as refused:
        services.history.timeline(STRANGER, Memo, memo_id, after=0, limit=10)
    assert refused.value.touched == Touched("memo", str(memo_id), "HSI")


def test_a_reader_of_any_record_may_not_run_a_command_its_policy_keeps_for_the_owner(services):
    memo_id = _memo_shown_to_dea(services)
    with pytest.raises(Forbidden):
        services.investigations.runner.run(PARTNER, lambda session, record: {}, retry_on_conflict=True,
                                           target=Target(Memo, memo_id, access.MANAGE))


def test_the_timeline_of_any_record_lists_its_events_for_a_reader(services):
    memo_id = _memo_shown_to_dea(services)
    page = services.history.timeline(PARTNER, Memo, memo_id, after=0, limit=10).result
    assert [(e["type"], e["actor"]["agency"]) for e in page["items"]] == [("written", "HSI"), ("shown", "HSI")]


def test_the_integrity_of_any_record_is_checked_and_named_for_its_kind(services):
    memo_id = _memo_shown_to_dea(services)
    report = services.history.verify(PARTNER, Memo, memo_id).result
    assert (report["memo_id"], report["intact"], report["events"]) == (memo_id, True, 2)


def test_the_owner_of_any_record_is_found_for_the_audit_trail(services):
    memo_id = _memo_shown_to_dea(services)
    assert services.history.owner_of(memo_id) == "HSI"


def test_a_command_its_record_refuses_names_that_record_for_the_audit(services):
    memo_id = _memo_shown_to_dea(services)

    def refuse(session: Any, record: Memo) -> dict[str, Any]:
        raise StateConflict("the memo is sealed")

    with pytest.raises(Conflict) as refused:
        services.investigations.runner.run(OWNER, refuse, target=Target(Memo, memo_id, access.MANAGE),
                                           retry_on_conflict=True)
    assert refused.value.touched == Touched("memo", str(memo_id), "HSI")
