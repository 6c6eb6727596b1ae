"""Builders shared by the domain tests: actors, envelopes, an opened investigation, subjects, replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from domain.chain import event_digest
from domain.envelope import Actor, Envelope
from domain.errors import DomainError
from domain.investigation import Investigation
from domain.keys import NaturalKeys, namespace_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CASE_NUMBER = "HSI-2026-00001"
KEYS = NaturalKeys(namespace_of("5e" * 32))  # a deployment's keys, as its ledger would give them


def envelope(
    sub: str = "alice", agency: str = "HSI", *roles: str, name: str = "", request_id: str = "req-1"
) -> Envelope:
    """The envelope of a request by `sub` of `agency`; an agent unless other roles are given."""
    return Envelope(Actor(sub, agency, name or sub.title(), frozenset(roles or ("agent",))), request_id)


AGENT = envelope("alice", "HSI", "agent")
COLLEAGUE = envelope("bob", "HSI", "agent")
SUPERVISOR = envelope("sam", "HSI", "supervisor")
PARTNER = envelope("dana", "DEA", "agent")
PARTNER_SUPERVISOR = envelope("pat", "DEA", "supervisor")


def open_case(
    *,
    case_number: str = CASE_NUMBER,
    title: str = "Operation Coyote Run",
    threat_domain: str = "human_smuggling",
    summary: str | None = "Smuggling corridor via Laredo",
    by: Envelope = AGENT,
) -> Investigation:
    return Investigation.open(
        id=KEYS.investigation(case_number),
        case_number=case_number,
        title=title,
        threat_domain=threat_domain,
        summary=summary,
        envelope=by,
    )


def opened_case(**kwargs: Any) -> Investigation:
    """An opened case whose opening event has already been collected, so only new events are pending."""
    inv = open_case(**kwargs)
    inv.collect_events()
    return inv


def log(
    inv: Investigation,
    *,
    kind: str = "interview",
    summary: str = "Interviewed the driver",
    occurred_at: datetime | None = None,
    location: dict[str, Any] | None = None,
    by: Envelope = AGENT,
) -> None:
    inv.log_action(kind=kind, summary=summary, occurred_at=occurred_at, location=location, now=NOW, envelope=by)


def frozen_case(status: str) -> Investigation:
    """An opened case a supervisor then closed or merged into another; its events collected."""
    inv = opened_case()
    inv.change_status(status=status, reason="done", merged_into=uuid4() if status == "merged" else None,
                      envelope=SUPERVISOR)
    inv.collect_events()
    return inv


def person(**overrides: Any) -> dict[str, Any]:
    details = {
        "kind": "person",
        "name": "Juan Perez",
        "role": "transporter",
        "witting": None,
        "date_of_birth": "1985-04-12",
        "identifiers": [],
    }
    return {**details, **overrides}


def business(**overrides: Any) -> dict[str, Any]:
    details = {
        "kind": "business",
        "name": "Rio Freight LLC",
        "role": "legitimate_business",
        "witting": False,
        "date_of_birth": None,
        "identifiers": [],
    }
    return {**details, **overrides}


def add(inv: Investigation, details: dict[str, Any], *, subject_id: UUID | None = None, by: Envelope = AGENT) -> UUID:
    subject_id = subject_id or uuid4()
    inv.add_subject(subject_id=subject_id, details=details, now=NOW, envelope=by)
    return subject_id


def refused(command: Callable[[], Any], error: type[DomainError] = DomainError) -> DomainError:
    """Run a command that must be refused; the error it raised."""
    with pytest.raises(error) as caught:
        command()
    return caught.value


def only_event(inv: Investigation) -> Any:
    """The one event the last command produced."""
    events = inv.collect_events()
    assert len(events) == 1, events
    return events[0]


def stored_state(event: Any) -> dict[str, Any]:
    """What the store keeps of an event besides its originator id and version."""
    return {k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")}


def recomputed_digest(event: Any) -> str:
    return event_digest(get_topic(type(event)), event.originator_id, event.originator_version, stored_state(event))


def replay(events: list[Any]) -> Investigation:
    """A fresh aggregate rebuilt from its events, as the repository would."""
    inv = events[0].mutate(None)
    for event in events[1:]:
        inv = event.mutate(inv)
    return inv


def entry_at(inv: Investigation, version: int) -> dict | None:
    """The pending event at `version` as an entry, as the use case would describe the stored one."""
    for event in inv.pending_events:
        if event.originator_version == version:
            return Investigation.entry_of(event)
    return None
