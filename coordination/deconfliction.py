"""The deconfliction check, run inside the command that plans or changes an operation (DESIGN.md §5).

It loads the index records the operation is kept under, tests every operation found there against the rules
exactly, writes the operation's entry back, and creates or revises the conflicts of each pair: all in the
session the command saves atomically, so a racing submission collides on a shared index record and retries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coordination.commands import Session
from domain.area_index import AreaIndex
from domain.conflict import Conflict
from domain.deconfliction import Finding, Rules, footprint, index_keys, padded, proximity
from domain.envelope import Envelope
from domain.keys import NaturalKeys
from domain.operation import Operation


@dataclass
class Check:
    """What one check found: the conflicts that hold now, those it made obsolete, and what it compared."""

    holding: list[Conflict] = field(default_factory=list)
    obsoleted: list[Conflict] = field(default_factory=list)
    compared: dict[str, dict[str, Any]] = field(default_factory=dict)  # operation id -> entry
    records: int = 0
    window: tuple[Any, Any] | None = None

    @property
    def coverage(self) -> dict[str, Any]:
        """What the answer covered: never a promise that nothing else is out there."""
        start, end = self.window or (None, None)
        return {
            "operations_compared": len(self.compared),
            "targets_compared": 0,
            "agencies": len({e["agency"] for e in self.compared.values()}),
            "index_records": self.records,
            "window": {"starts_at": start, "ends_at": end},
            "note": "only what was entered in Pathways was compared",
        }


class Deconfliction:
    """Checks operations against each other under the deployment's rules."""

    def __init__(self, rules: Rules, keys: Callable[[], NaturalKeys]):
        self.rules = rules
        self.keys = keys

    def entry_of(self, op: Operation) -> dict[str, Any]:
        return footprint(operation_id=str(op.id), investigation_id=str(op.investigation_id),
                         agency=op.owning_agency, number=op.deconfliction_number, plan=op.plan,
                         rule=self.rules.of(op.plan["kind"]))

    def check(self, session: Session, op: Operation, before: dict[str, Any] | None, envelope: Envelope) -> Check:
        """Index `op` as it now stands (not at all once withdrawn) and settle the conflicts of every pair.

        `before` is the operation's plan before this command changed it (None when it is new): the pairs it
        was in and no longer is become obsolete.
        """
        me = str(op.id)
        entry = self.entry_of(op) if op.status == "planned" else None
        old_entry = self._entry_with(op, before) if before is not None else None
        new_keys = index_keys(entry) if entry else []
        old_keys = index_keys(old_entry) if old_entry else []
        records = self._records(session, sorted(set(new_keys) | set(old_keys)))
        result = Check(records=len(new_keys), window=padded(entry) if entry else None)
        for key in new_keys:
            result.compared.update((k, e) for k, e in records[key].entries.items() if k != me)
        earlier = {k: e for key in old_keys for k, e in records[key].entries.items() if k != me}
        for key in set(old_keys) - set(new_keys):
            records[key].leave(me)
        for key in new_keys:
            records[key].enter(entry)  # type: ignore[arg-type]
        holding = set()
        for other_id, other in result.compared.items():
            finding = proximity(entry, other)  # type: ignore[arg-type]
            if finding is not None:
                holding.add(other_id)
                result.holding.append(self._settle(session, finding, other, entry, envelope))  # type: ignore[arg-type]
        for other_id in (set(earlier) | set(result.compared)) - holding:
            conflict = session.find(Conflict, self.keys().conflict("event_proximity", me, other_id))
            if conflict is not None and conflict.no_longer_holds(reason=_why_not(op), envelope=envelope):
                result.obsoleted.append(conflict)
        session.add(*records.values(), *result.holding, *result.obsoleted)
        return result

    def _entry_with(self, op: Operation, plan: dict[str, Any]) -> dict[str, Any]:
        return footprint(operation_id=str(op.id), investigation_id=str(op.investigation_id),
                         agency=op.owning_agency, number=op.deconfliction_number, plan=plan,
                         rule=self.rules.of(plan["kind"]))

    def _records(self, session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], AreaIndex]:
        ids = self.keys()
        records = {}
        for cell, day in keys:
            record_id = ids.area(cell, day)
            records[cell, day] = session.find(AreaIndex, record_id) or AreaIndex.start(id=record_id, cell=cell, day=day)
        return records

    def _settle(
        self, session: Session, finding: Finding, other: dict[str, Any], mine: dict[str, Any], envelope: Envelope
    ) -> Conflict:
        conflict_id = self.keys().conflict(finding.kind, mine["operation_id"], other["operation_id"])
        conflict = session.find(Conflict, conflict_id)
        if conflict is None:
            return Conflict.detect(id=conflict_id, finding=finding.as_dict(), parties=[party(other), party(mine)],
                                   envelope=envelope)
        # The parties keep the order of the first detection, so an unchanged pair is recognised as unchanged.
        by_operation = {p["operation_id"]: p for p in (party(other), party(mine))}
        parties = [by_operation[p["operation_id"]] for p in conflict.parties]
        conflict.still_holds(finding=finding.as_dict(), parties=parties, envelope=envelope)
        return conflict


def party(entry: dict[str, Any]) -> dict[str, Any]:
    """A side of a conflict as the conflict keeps it (views choose what of it each reader is shown)."""
    return {
        "agency": entry["agency"],
        "investigation_id": entry["investigation_id"],
        "operation_id": entry["operation_id"],
        "deconfliction_number": entry["deconfliction_number"],
        "point_of_contact": entry["point_of_contact"],
        "kind": entry["kind"],
        "starts_at": entry["starts_at"],
        "ends_at": entry["ends_at"],
    }


def _why_not(op: Operation) -> str:
    return "the operation was withdrawn" if op.status == "withdrawn" else "the amended plan no longer conflicts"
