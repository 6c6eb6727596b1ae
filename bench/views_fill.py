"""What bench/coordination_views.py puts in the ledger: investigations and their operations over ~200 days, each
operation approved, started and completed with results (or cancelled, or still ahead), with the resources it asked
for, the conflicts its checks found and its deconfliction index entries; written straight through the domain's
aggregates into the ledger (no HTTP), as the live use cases would have left them, but fast.

The events are the live path's: the same aggregates, methods and checks (checked_plan, checked_results). What the
live path does and this fill does not: run the deconfliction check (its conflicts here are drawn at random, about
one operation in twenty, between operations of the same day), and keep request and idempotency records.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from bench.workload import AGENCIES, RULES, fill_ledger, placed, plan
from coordination.deconfliction import party
from coordination.ledger import Ledger
from domain.aggregate import ChainedAggregate
from domain.conflict import Conflict
from domain.deconfliction import footprint
from domain.envelope import Actor, Envelope
from domain.investigation import THREAT_DOMAINS, Investigation
from domain.keys import NaturalKeys
from domain.operation import Operation
from domain.operation_plan import checked_plan
from domain.resource import Resource, ResourceRequest, overlaps
from domain.resource_schedule import ResourceSchedule

PER_DAY = 500  # operations starting each day (about half the three US systems' ~960 events a day, DOMAIN.md §2)
PAST_SHARE = 0.75  # of the days: operations before "now" are over, the rest still ahead
RESOURCES_PER_AGENCY = 200
RESOURCE_KINDS = ("team", "vehicle", "aircraft", "vessel", "k9", "tactical_team", "tciu_unit", "interpreter")
OPERATIONS_PER_CASE = 5
CONFLICT_SHARE = 0.05
CURRENCIES = ("USD", "USD", "USD", "MXN", "EUR", "COP")
SUBSTANCES = ("fentanyl", "cocaine", "methamphetamine", "heroin")
Progress = Callable[[int, int], None]


def envelope(agency: str, *roles: str) -> Envelope:
    return Envelope(Actor(f"{roles[0]}-{agency.lower()}", agency, f"{agency} {roles[0]}", frozenset(roles)), "fill")


AGENT = {a: envelope(a, "agent") for a in AGENCIES}
SUPERVISOR = {a: envelope(a, "supervisor", "agent") for a in AGENCIES}
COORDINATOR = envelope("OCG", "coordinator")


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def results(rng: random.Random) -> dict[str, Any]:
    """What an operation achieved, in the issue's shape (amounts and weights as decimal strings)."""
    seizures: list[dict[str, Any]] = []
    if rng.random() < 0.3:
        seizures.append({"kind": "currency", "amount": f"{rng.randrange(100, 500_000)}.{rng.randrange(100):02d}",
                         "currency": rng.choice(CURRENCIES)})
    if rng.random() < 0.4:
        seizures.append({"kind": "drugs", "substance": rng.choice(SUBSTANCES), "grams": str(rng.randrange(1, 20_000))})
    if rng.random() < 0.2:
        seizures.append({"kind": "weapons", "count": rng.randrange(1, 6), "weapon_kind": "handgun"})
    found: dict[str, Any] = {"arrests": {"count": rng.choice((0, 0, 1, 1, 2, 3, 5))}, "seizures": seizures}
    if rng.random() < 0.05:
        found["victims"] = {"rescued": rng.randrange(1, 6), "identified": rng.randrange(0, 4)}
    if rng.random() < 0.1:
        found["forfeiture"] = [{"asset": "vehicle", "value": f"{rng.randrange(5_000, 90_000)}.00", "currency": "USD",
                                "path": rng.choice(("administrative", "civil_judicial", "criminal"))}]
    return found


@dataclass
class Filled:
    """What was written, by record kind, and the store's position at the end."""

    events: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    operations: int = 0
    investigations: int = 0
    position: int = 0


class Filler:
    """Writes the ledger a season of operations would leave, in saves of about `batch_events` events."""

    def __init__(self, ledger: Ledger, keys: NaturalKeys, *, now: datetime, batch_events: int, seed: int = 1212):
        self.ledger, self.keys, self.now, self.batch_events = ledger, keys, now, batch_events
        self.rng = random.Random(seed)
        self.filled = Filled()
        self.pending: dict[UUID, Any] = {}
        self.resources: dict[str, list[Resource]] = {}
        self.schedules: dict[UUID, ResourceSchedule] = {}
        self.booked: dict[UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.entries: list[dict[str, Any]] = []
        self.case: Investigation | None = None
        self.last_entry: dict[str, Any] | None = None

    def fill(self, operations: int, progress: Progress) -> Filled:
        self._register_resources()
        days = max(1, operations // PER_DAY)
        first_day = self.now - timedelta(days=round(days * PAST_SHARE))
        for n in range(operations):
            self._operation(n, first_day + timedelta(days=n // PER_DAY, minutes=self.rng.randrange(24 * 60 - 360)))
            if n % 5_000 == 4_999:
                progress(n + 1, sum(self.filled.events.values()))
        self._flush(force=True)
        self.filled.events["area_index"] += fill_ledger(self.ledger, self.keys, placed(self.entries),
                                                        self.batch_events)
        self.filled.position = self.ledger.max_position()
        progress(operations, sum(self.filled.events.values()))
        return self.filled

    def _register_resources(self) -> None:
        for agency in AGENCIES:
            self.resources[agency] = [
                self._add(Resource.register(id=_uuid(self.rng), kind=RESOURCE_KINDS[i % len(RESOURCE_KINDS)],
                                            name=f"{agency} unit {i}", agency=agency, envelope=SUPERVISOR[agency]))
                for i in range(RESOURCES_PER_AGENCY)]

    def _investigation(self) -> Investigation:
        if self.case is None or self.rng.random() < 1 / OPERATIONS_PER_CASE:
            agency = self.rng.choice(AGENCIES)
            number = f"{agency}-26-{self.filled.investigations:06d}"
            self.case = Investigation.open(id=self.keys.investigation(number), case_number=number,
                                           title=f"Case {number}", threat_domain=self.rng.choice(THREAT_DOMAINS),
                                           summary=None, envelope=AGENT[agency])
            for _ in range(2):
                self.case.log_action(kind="interview", summary="Interviewed a witness", occurred_at=None,
                                     location=None, now=self.now, envelope=AGENT[agency])
            self.filled.investigations += 1
            self._add(self.case)
        return self.case

    def _operation(self, n: int, starts_at: datetime) -> None:
        case = self._investigation()
        agency = case.owning_agency
        fields = plan(self.rng)
        fields.update(title=f"Operation {n}", starts_at=starts_at,
                      ends_at=starts_at + (fields["ends_at"] - fields["starts_at"]))
        number = f"DX26-{n >> 20:04X}-{n & 0xFFFFF:05X}"
        op = Operation.plan_for(id=self.keys.operation(number), investigation_id=case.id, number=number,
                                plan=checked_plan(fields, now=starts_at - timedelta(days=2)), envelope=AGENT[agency])
        self._add(op)
        self.filled.operations += 1
        entry = footprint(operation_id=str(op.id), investigation_id=str(case.id), agency=agency, number=number,
                          plan=op.plan, rule=RULES.of(op.plan["kind"]))
        self.entries.append(entry)
        self._maybe_conflict(entry, starts_at)
        requests = self._requests(op)
        self._lifecycle(op, requests)
        self._flush()

    def _maybe_conflict(self, entry: dict[str, Any], starts_at: datetime) -> None:
        other, self.last_entry = self.last_entry, entry
        if other is None or self.rng.random() >= CONFLICT_SHARE:
            return
        finding = {"kind": "proximity", "severity": "high", "distance_m": self.rng.randrange(50, 800),
                   "overlap": {"start": starts_at, "end": starts_at + timedelta(hours=1)}}
        conflict = Conflict.detect(id=self.keys.conflict("proximity", other["operation_id"], entry["operation_id"]),
                                   finding=finding, parties=[party(other), party(entry)],
                                   envelope=AGENT[entry["agency"]])
        for agency in conflict.party_agencies:
            conflict.acknowledge(note=None, envelope=AGENT[agency])
        if starts_at < self.now:
            conflict.resolve(resolution="proceed_separately", note="Talked it through", envelope=COORDINATOR)
        self._add(conflict)

    def _requests(self, op: Operation) -> list[ResourceRequest]:
        made = []
        if self.rng.random() < 0.8:
            resource = self._free_resource(op)
            if resource is not None:
                made.append(ResourceRequest.of_resource(id=_uuid(self.rng), operation=op, resource=resource,
                                                        envelope=AGENT[op.owning_agency]))
        if self.rng.random() < 0.4:
            made.append(ResourceRequest.of_personnel(id=_uuid(self.rng), operation=op,
                                                     agency=self.rng.choice(AGENCIES),
                                                     count=self.rng.randrange(2, 13), envelope=AGENT[op.owning_agency]))
        for request in made:
            self._add(request)
        return made

    def _free_resource(self, op: Operation) -> Resource | None:
        """A resource of the operation's agency (mostly) or another's, not booked at the operation's time."""
        window = (op.plan["starts_at"], op.plan["ends_at"])
        for _ in range(5):
            agency = op.owning_agency if self.rng.random() < 0.7 else self.rng.choice(AGENCIES)
            resource = self.rng.choice(self.resources[agency])
            if not any(overlaps(*window, *held) for held in self.booked[resource.id][-8:]):
                return resource
        return None

    def _lifecycle(self, op: Operation, requests: list[ResourceRequest]) -> None:
        agency, starts_at, ends_at = op.owning_agency, op.plan["starts_at"], op.plan["ends_at"]
        ahead = starts_at >= self.now
        for request in requests:
            answer = self.rng.random()
            if ahead and answer < 0.1:
                continue  # still pending
            if answer > 0.95:
                request.decline(reason="Not available", envelope=SUPERVISOR[request.resource_agency])
                continue
            request.commit(note=None, clashes=[], envelope=SUPERVISOR[request.resource_agency])
            if request.resource_id is not None:
                self._book(request, op)
        if ahead:
            if self.rng.random() < 0.6:
                op.approve(note=None, envelope=SUPERVISOR[agency])
            return
        fate = self.rng.random()
        if fate < 0.05:
            op.cancel(reason="Target moved", envelope=AGENT[agency])
        else:
            op.approve(note=None, envelope=SUPERVISOR[agency])
            op.start(started_at=starts_at, now=self.now, open_conflicts=[], envelope=AGENT[agency])
            if fate < 0.95 and ends_at <= self.now:
                op.complete(results=results(self.rng), subject_ids=frozenset(), completed_at=ends_at, now=self.now,
                            envelope=AGENT[agency])
        if op.status in ("completed", "cancelled"):  # ended operations release what they held
            for request in requests:
                if request.status == "committed" and request.resource_id is not None:
                    self._schedule(request.resource_id).release(str(request.id))

    def _book(self, request: ResourceRequest, op: Operation) -> None:
        assert request.resource_id is not None
        self._schedule(request.resource_id).book({"request_id": str(request.id), "operation_id": str(op.id)})
        self.booked[UUID(request.resource_id)].append((op.plan["starts_at"], op.plan["ends_at"]))

    def _schedule(self, resource_id: str) -> ResourceSchedule:
        record_id = self.keys.resource_schedule(resource_id)
        if record_id not in self.schedules:
            self.schedules[record_id] = ResourceSchedule.start(id=record_id, resource_id=resource_id)
        return self._add(self.schedules[record_id])

    def _add(self, aggregate: Any) -> Any:
        self.pending[aggregate.id] = aggregate
        return aggregate

    def _flush(self, force: bool = False) -> None:
        waiting = sum(len(a.pending_events) for a in self.pending.values())
        if waiting < self.batch_events and not (force and waiting):
            return
        for aggregate in self.pending.values():
            kind = aggregate.type_name if isinstance(aggregate, ChainedAggregate) else "resource_schedule"
            self.filled.events[kind] += len(aggregate.pending_events)
        self.ledger.save(*self.pending.values())
        self.pending = {}
