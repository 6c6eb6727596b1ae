"""The deconfliction check, run inside the command that plans or changes an operation or registers a target
(DESIGN.md §5).

It loads the index records the submission is kept under (h3 cell and day for places; keyed digest for
identifiers), tests every entry found there against the rules exactly, writes the submission's entries back,
and creates or revises the conflict of each pair: all in the session the command saves atomically, so a racing
submission collides on a shared index record and retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from coordination.cipher import FieldCipher
from coordination.commands import Session
from coordination.conflicts import conflict_view
from domain.area_index import AreaIndex
from domain.conflict import Conflict
from domain.deconfliction import (
    TARGETS,
    Finding,
    Rules,
    days_between,
    footprint,
    index_cells,
    index_keys,
    kept_keys,
    padded,
    proximity,
)
from domain.envelope import Envelope
from domain.keys import NaturalKeys
from domain.name_match import fold_name, name_similarity
from domain.operation import Operation
from domain.target_index import TargetIndex
from domain.targets import (
    address_match,
    identifier_digest,
    identifier_match,
    name_blocks,
    name_match,
    registration,
    subject_match,
)

# How far ahead a newly registered target address is compared with operations already planned near it.
TARGET_LOOKAHEAD = timedelta(days=30)
Pair = tuple[str, str]  # (conflict kind, the other submission's ref)


@dataclass
class Check:
    """What one check found: the conflicts that hold now, those it made obsolete, and what it compared."""

    holding: list[Conflict] = field(default_factory=list)
    obsoleted: list[Conflict] = field(default_factory=list)
    compared: dict[str, dict[str, Any]] = field(default_factory=dict)  # operation id -> entry
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # registration ref -> entry
    records: int = 0
    window: tuple[Any, Any] | None = None

    @property
    def coverage(self) -> dict[str, Any]:
        """What the answer covered: never a promise that nothing else is out there."""
        start, end = self.window or (None, None)
        agencies = {e["agency"] for e in (*self.compared.values(), *self.targets.values())}
        return {
            "operations_compared": len(self.compared),
            "targets_compared": len(self.targets),
            "agencies": len(agencies),
            "index_records": self.records,
            "window": {"starts_at": start, "ends_at": end},
            "note": "only what was entered in Pathways was compared",
        }

    def visible(self) -> list[Conflict]:
        """The conflicts a party is told of: a name-only possible match (low) is for coordinators alone."""
        return [c for c in self.holding if c.severity != "low"]


@dataclass
class _Pairs:
    """The pairs one check examined, and those that hold: the rest of what it examined is obsolete."""

    examined: set[Pair] = field(default_factory=set)
    holding: dict[Pair, tuple[Finding, dict[str, Any]]] = field(default_factory=dict)

    def test(self, kind: str, other: dict[str, Any], finding: Finding | None) -> None:
        pair = (kind, other["ref"])
        self.examined.add(pair)
        if finding is not None:
            self.holding[pair] = (finding, other)


class Deconfliction:
    """Checks operations and targets against each other under the deployment's rules."""

    def __init__(self, rules: Rules, keys: Callable[[], NaturalKeys], digest_key: bytes | None = None):
        self.rules = rules
        self.keys = keys
        self.digest_key = digest_key  # PATHWAYS_DECONFLICTION_KEY, else the deployment's own (NaturalKeys.matching)

    # --- operations ---------------------------------------------------------------------------------------

    def entry_of(self, op: Operation, plan: dict[str, Any] | None = None) -> dict[str, Any]:
        plan = plan if plan is not None else op.plan
        entry = footprint(operation_id=str(op.id), investigation_id=str(op.investigation_id),
                          agency=op.owning_agency, number=op.deconfliction_number, plan=plan,
                          rule=self.rules.of(plan["kind"]))
        late = {"late": True} if op.late_entry else {}  # only when set: entries kept before stay equal
        return {**entry, "ref": entry["operation_id"], "role": "operation", **late}

    def check(
        self, session: Session, op: Operation, before: dict[str, Any] | None, envelope: Envelope,
        identifiers: Callable[[list[str]], list[dict[str, Any]]] = lambda subject_ids: [],
    ) -> Check:
        """Index `op` as it now stands (not at all once withdrawn) and settle the conflicts of every pair.

        `before` is the plan before this command changed it (None when new): pairs it was in and no longer is
        become obsolete. `identifiers` gives the identifiers of the investigation's subjects named.
        """
        me, now = str(op.id), datetime.now(UTC)
        entry = self.entry_of(op) if op.deconflicted else None
        old = self.entry_of(op, before) if before is not None else None
        result, pairs = Check(window=padded(entry) if entry else None), _Pairs()
        self._places(session, me, entry, old, result, pairs, now)
        new_ids = identifiers(op.plan["subject_ids"]) if entry else []
        old_ids = identifiers(before["subject_ids"]) if before else []
        self._subjects(session, me, entry, new_ids, old_ids, result, pairs)
        self._settle_all(session, entry or old, pairs, result, envelope, _why_not(op),  # type: ignore[arg-type]
                         fresh=before is None)
        return result

    def _places(self, session: Session, me: str, entry: dict[str, Any] | None, old: dict[str, Any] | None,
                result: Check, pairs: _Pairs, now: datetime) -> None:
        new_keys = index_keys(entry) if entry else []
        old_keys = index_keys(old) if old else []
        target_keys = [(cell, TARGETS) for cell in index_cells(entry)] if entry else []
        old_target_keys = [(cell, TARGETS) for cell in index_cells(old)] if old else []
        records = self._areas(session, sorted({*new_keys, *old_keys, *target_keys, *old_target_keys}))
        result.records += len(new_keys) + len(target_keys)
        for kind, keys in (("event_proximity", old_keys), ("target_address", old_target_keys)):
            pairs.examined.update((kind, ref) for key in keys for ref in records[key].entries if ref != me)
        for key in new_keys:
            result.compared.update((k, e) for k, e in records[key].entries.items() if k != me)
        for other in result.compared.values():
            pairs.test("event_proximity", _as_operation(other), proximity(entry, other))  # type: ignore[arg-type]
        for key in target_keys:
            for target in records[key].entries.values():
                result.targets[target["ref"]] = target
                pairs.test("target_address", target, address_match(entry, target, now))  # type: ignore[arg-type]
        for key in set(old_keys) - set(new_keys):
            records[key].leave(me)
        kept = set(kept_keys(entry)) if entry else set()
        for key in new_keys:
            records[key].keep(entry, here=key in kept)  # type: ignore[arg-type]
        session.add(*records.values())

    def _subjects(self, session: Session, me: str, entry: dict[str, Any] | None, new_ids: list[dict[str, Any]],
                  old_ids: list[dict[str, Any]], result: Check, pairs: _Pairs) -> None:
        """E3: operations after subjects that share an identifier, while both run."""
        new_digests = {self._digest(i) for i in new_ids}
        records = self._targets(session, new_digests | {self._digest(i) for i in old_ids})
        for digest, record in records.items():
            for ref, other in record.entries.items():
                if ref == me or other.get("role") != "operation":
                    continue
                if digest in new_digests and entry is not None:
                    result.compared[ref] = other
                    pairs.test("event_subject", other, subject_match(entry, other))
                else:
                    pairs.examined.add(("event_subject", ref))
            if digest in new_digests and entry is not None:
                record.enter(_targeting(entry))
            else:
                record.leave(me)
        result.records += len(new_digests)
        session.add(*records.values())

    # --- targets ------------------------------------------------------------------------------------------

    def register(
        self, session: Session, *, investigation_id: str, agency: str, subject_id: str,
        identifiers: list[dict[str, Any]], number: str, point_of_contact: dict[str, Any], envelope: Envelope,
        person_name: str | None = None, previous: Iterable[dict[str, Any]] = (),
    ) -> Check:
        """Register a subject's identifiers for matching: each one against every other investigation's; and a
        person's name for possible matches that only coordinators see. `previous` are the identifiers a
        correction replaced: they leave the index, and their matches that no longer hold become obsolete."""
        now, pairs, result = datetime.now(UTC), _Pairs(), Check()
        self._unregister(session, subject_id, identifiers, previous, pairs)
        mine = None
        for identifier in identifiers:
            mine = registration(ref=subject_id, investigation_id=investigation_id, agency=agency, number=number,
                                point_of_contact=point_of_contact, identifier_type=identifier["type"], now=now,
                                location=identifier.get("location"))
            record = self._targets(session, {self._digest(identifier)})
            for index in record.values():
                for ref, other in index.entries.items():
                    if ref != subject_id and other.get("role") == "registration":
                        result.targets[ref] = other
                        pairs.test("identifier", other, identifier_match(mine, other, now))
                index.enter(mine)
            result.records += 1
            session.add(*record.values())
            if "path" in mine:
                self._target_address(session, mine, now, result, pairs)
        if person_name:
            mine = registration(ref=subject_id, investigation_id=investigation_id, agency=agency, number=number,
                                point_of_contact=point_of_contact, identifier_type="name", now=now)
            self._possible_names(session, mine, fold_name(person_name), now, result, pairs)
        if mine is not None:
            self._settle_all(session, mine, pairs, result, envelope, "")
        return result

    def _unregister(self, session: Session, subject_id: str, identifiers: list[dict[str, Any]],
                    previous: Iterable[dict[str, Any]], pairs: _Pairs) -> None:
        kept = {self._digest(i) for i in identifiers}
        gone = {self._digest(i) for i in previous} - kept
        for record in self._targets(session, gone).values():
            pairs.examined.update(("identifier", ref) for ref, other in record.entries.items()
                                  if ref != subject_id and other.get("role") == "registration")
            record.leave(subject_id)
            session.add(record)

    def _possible_names(self, session: Session, mine: dict[str, Any], folded: str, now: datetime, result: Check,
                        pairs: _Pairs) -> None:
        """Name-only likeness (DOMAIN.md §2): a possible match for a coordinator, never a pointer to a party.

        The index keeps the folded name sealed with a key derived from the digest key: comparing needs the name,
        and the index must still hold nothing another agency could read.
        """
        cipher = FieldCipher(base64.b64encode(self._key()).decode(), b"pathways name index")
        entry = {**mine, "role": "name", "sealed_name": cipher.encrypt(folded, "target_index.name")}
        digests = {hmac.new(self._key(), f"name-block|{block}".encode(), hashlib.sha256).hexdigest()
                   for block in name_blocks(folded)}
        records = self._targets(session, digests)
        for record in records.values():
            for ref, other in record.entries.items():
                if ref == mine["ref"] or other.get("role") != "name" or ("identifier", ref) in pairs.holding:
                    continue
                likeness = name_similarity(folded, cipher.decrypt(other["sealed_name"], "target_index.name"))
                finding = name_match(entry, other, likeness, now)
                if finding is not None:
                    pairs.test("identifier", other, finding)
            record.enter(entry)
        result.records += len(records)
        session.add(*records.values())

    def _target_address(self, session: Session, target: dict[str, Any], now: datetime, result: Check,
                        pairs: _Pairs) -> None:
        """A target address is kept under the cells around it; operations already planned there are compared."""
        cells = index_cells(target)
        days = days_between(now.date(), (now + TARGET_LOOKAHEAD).date())
        # An operation near the address is kept where its path runs: in the address's cell or one beside it.
        planned = [(cell, day) for cell in cells for day in days]
        records = self._areas(session, [(cell, TARGETS) for cell in cells] + planned)
        for cell in cells:
            records[cell, TARGETS].enter(target)
        for key in planned:
            for ref, op in records[key].entries.items():
                result.compared[ref] = op
                pairs.test("target_address", _as_operation(op), address_match(op, target, now))
            # Written too (a Checked event): a plan beside the address at this moment writes this record as well,
            # so the two collide. Not the other way round: every plan writing the (cell, targets) records of its
            # ring would serialise every plan of a city, whatever its day.
            records[key].touch(target["ref"])
        result.records += len(records)
        session.add(*records.values())

    # --- both ---------------------------------------------------------------------------------------------

    def _settle_all(self, session: Session, mine: dict[str, Any], pairs: _Pairs, result: Check,
                    envelope: Envelope, why_not: str, *, fresh: bool = False) -> None:
        """Detect or revise the conflict of each pair that holds; make obsolete those examined that no longer do.

        `fresh`: the submission is new (a plan, not an amendment), so no conflict names it yet.
        """
        ids = self.keys()
        holding = {pair: ids.conflict(pair[0], mine["ref"], pair[1]) for pair in pairs.holding}
        gone = {} if fresh else {pair: ids.conflict(pair[0], mine["ref"], pair[1])
                                 for pair in pairs.examined - set(pairs.holding)}
        if fresh:  # nothing to look up, and nothing it was in can have become obsolete
            session.known_absent(holding.values())
        else:  # every pair's conflict in one read, rather than one look-up (two round trips) per pair
            session.find_many(Conflict, [*holding.values(), *gone.values()])
        for pair, (finding, other) in pairs.holding.items():
            result.holding.append(self._settle(session, holding[pair], finding, other, mine, envelope))
        for conflict_id in gone.values():
            conflict = session.find(Conflict, conflict_id)
            if conflict is not None and conflict.no_longer_holds(reason=why_not, envelope=envelope):
                result.obsoleted.append(conflict)
        session.add(*result.holding, *result.obsoleted)

    def _settle(self, session: Session, conflict_id: Any, finding: Finding, other: dict[str, Any],
                mine: dict[str, Any], envelope: Envelope) -> Conflict:
        conflict = session.find(Conflict, conflict_id)
        if conflict is None:
            return Conflict.detect(id=conflict_id, finding=finding.as_dict(), parties=[party(other), party(mine)],
                                   envelope=envelope)
        # The parties keep the order of the first detection, so an unchanged pair is recognised as unchanged.
        by_ref = {p["ref"]: p for p in (party(other), party(mine))}
        parties = [by_ref.get(p.get("ref", p.get("operation_id")), p) for p in conflict.parties]
        conflict.still_holds(finding=finding.as_dict(), parties=parties, envelope=envelope)
        return conflict

    def _key(self) -> bytes:
        return self.digest_key or self.keys().matching

    def _digest(self, identifier: dict[str, Any]) -> str:
        return identifier_digest(self._key(), identifier)

    def _areas(self, session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], AreaIndex]:
        """The index records of these (cell, day) keys, read together; those not yet kept are started."""
        ids = self.keys()
        by_key = {(cell, day): ids.area(cell, day) for cell, day in keys}
        found = session.find_many(AreaIndex, by_key.values())
        return {(cell, day): found.get(record_id) or session.started(AreaIndex.start(id=record_id, cell=cell, day=day))
                for (cell, day), record_id in by_key.items()}

    def _targets(self, session: Session, digests: Iterable[str]) -> dict[str, TargetIndex]:
        """The index records of these identifier digests, read together; those not yet kept are started."""
        ids = self.keys()
        by_digest = {digest: ids.target(digest) for digest in sorted(digests)}
        found = session.find_many(TargetIndex, by_digest.values())
        return {digest: found.get(record_id) or session.started(TargetIndex.start(id=record_id))
                for digest, record_id in by_digest.items()}


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_deconfliction_number(now: datetime) -> str:
    """A fresh, human-readable deconfliction number such as DX26-7K3F-9QW2 (40 random bits).

    Random rather than counted, so that no single counter serialises every agency's submissions; an operation's
    id is derived from it, so the store refuses a duplicate and the command retries with another.
    """
    bits = secrets.randbits(40)
    chars = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"DX{now.year % 100:02d}-{chars[:4]}-{chars[4:]}"


def deconfliction_answer(check: Check, agency: str, *, own: str) -> dict[str, Any]:
    """The `deconfliction` block of a response: what conflicts (whom to call), what no longer does, coverage."""
    conflicts = [conflict_view(c, agency, own=own) for c in check.visible()]
    return {
        "status": "conflict" if conflicts else "cleared",
        "conflicts": conflicts,
        "obsolete": [conflict_view(c, agency, own=own) for c in check.obsoleted if c.severity != "low"],
        "coverage": check.coverage,
    }


def party(entry: dict[str, Any]) -> dict[str, Any]:
    """A side of a conflict as the conflict keeps it (views choose what of it each reader is shown)."""
    operation = entry.get("role", "operation") == "operation"
    return {
        "ref": entry.get("ref", entry.get("operation_id")),
        "agency": entry["agency"],
        "investigation_id": entry["investigation_id"],
        "operation_id": entry.get("operation_id") if operation else None,
        "subject_id": None if operation else entry["ref"],
        "deconfliction_number": entry["deconfliction_number"],
        "point_of_contact": entry["point_of_contact"],
        "kind": entry.get("kind", "target"),
        "starts_at": entry.get("starts_at"),
        "ends_at": entry.get("ends_at"),
        **({"late": True} if entry.get("late") else {}),
    }


def _as_operation(entry: dict[str, Any]) -> dict[str, Any]:
    """An area index entry written before entries carried their ref and role."""
    return {"ref": entry.get("operation_id"), "role": "operation", **entry}


def _targeting(entry: dict[str, Any]) -> dict[str, Any]:
    """What a target index keeps of an operation after one of its identifiers: its window and whom to call."""
    keep = ("ref", "role", "operation_id", "investigation_id", "agency", "deconfliction_number", "point_of_contact",
            "kind", "starts_at", "ends_at", "padding_minutes")
    return {k: entry[k] for k in keep}


def _why_not(op: Operation) -> str:
    if op.deconflicted:
        return "the amended plan no longer conflicts"
    return f"the operation was {op.status}"
