"""Prosecution readiness: the facts of each case that DOMAIN.md §3's checklist judges (domain.readiness), folded from
the case, its evidence, its file, its referrals and its operations' results; and who may see each case's row.

The facts hold ids, counts, flags and agency codes, never case text, so they need no encryption at rest.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.utils import get_topic

from domain.case_file import CaseFile
from domain.evidence import EvidenceItem
from domain.investigation import Investigation
from domain.lifecycle import FROZEN
from domain.operation import Operation
from domain.readiness import Facts, checklist, empty_facts
from domain.referral import Referral
from domain.witnesses import impeachable
from projections.projection import Projection, Rows

TABLE = "readiness"
ACCESS = "readiness_access"  # agencies besides the owner that see a case: shares and prosecutors' offices
LINKS = "readiness_links"  # the case of each record of a case (an item, its file, a referral, an operation)

_CASE = (Investigation.Opened, Investigation.SubjectAdded, Investigation.EntryCorrected, Investigation.Shared,
         Investigation.ShareRevoked, Investigation.StatusChanged, Investigation.ReferredForProsecution,
         Investigation.ProsecutionAccessEnded)
_RECORDS = (EvidenceItem.Logged, EvidenceItem.Transferred, EvidenceItem.LabRequested, EvidenceItem.LabReported,
            CaseFile.Started, CaseFile.ChargeProposed, CaseFile.ElementSupported, CaseFile.WitnessAdded,
            CaseFile.ProductionLogged, CaseFile.DisclosureReviewed, Referral.Drafted, Referral.Approved,
            Referral.Submitted, Referral.Decided, Operation.Completed)
_FIRST = (EvidenceItem.Logged, CaseFile.Started, Referral.Drafted, Operation.Planned, Operation.RecordedLate)


class ReadinessBoard(Projection):
    """Answers: how ready for prosecution is each case, and which cases are least ready?"""

    name = "readiness"
    tables = (ACCESS, LINKS, TABLE)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, owning_agency TEXT NOT NULL, "
        "case_number TEXT NOT NULL, status TEXT NOT NULL, score INTEGER NOT NULL, gaps INTEGER NOT NULL, "
        "ready BOOLEAN NOT NULL, facts TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_owner_score ON {TABLE} (owning_agency, score, id)",
        f"CREATE TABLE IF NOT EXISTS {ACCESS} (investigation_id TEXT NOT NULL, agency TEXT NOT NULL, "
        "access TEXT NOT NULL, PRIMARY KEY (investigation_id, agency))",
        f"CREATE INDEX IF NOT EXISTS {ACCESS}_agency ON {ACCESS} (agency, access, investigation_id)",
        f"CREATE TABLE IF NOT EXISTS {LINKS} (record_id TEXT PRIMARY KEY, investigation_id TEXT NOT NULL)",
    )
    topics = frozenset(get_topic(cls) for cls in (*_CASE, *_RECORDS, Operation.Planned, Operation.RecordedLate))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        record_id = str(event.originator_id)
        kept = rows.kept.setdefault(self.name, {"facts": {}, "links": {}})
        if isinstance(event, _FIRST):
            kept["links"][record_id] = str(event.investigation_id)
            rows.upsert(LINKS, ("record_id",), {"record_id": record_id, "investigation_id": kept["links"][record_id]})
        if isinstance(event, Investigation.Opened):
            self._save(rows, kept, record_id, empty_facts(event.owning_agency, event.case_number))
        elif isinstance(event, (Investigation.Shared, Investigation.ShareRevoked)):
            _share_row(rows, record_id, event)
        if not _changes_facts(event):
            return  # most events of a busy ledger: no read back, so the batch's pipeline keeps flowing
        case_id = record_id if isinstance(event, _CASE) else _case_of(rows, kept, record_id)
        facts = _facts_of(rows, kept, case_id) if case_id is not None else None
        if facts is None:
            return  # a record whose case this read model does not hold (the ledger always gives the case first)
        _fold(facts, event, record_id, position)
        if isinstance(event, (Investigation.ReferredForProsecution, Investigation.ProsecutionAccessEnded)):
            _office_row(rows, case_id, event.office, facts)
        self._save(rows, kept, case_id, facts)

    @staticmethod
    def _save(rows: Rows, kept: dict[str, Any], case_id: str, facts: Facts) -> None:
        kept["facts"][case_id] = facts  # read back from here for the rest of the batch, not from the store
        judged = checklist(facts)
        rows.upsert(TABLE, ("id",), {"id": case_id, "owning_agency": facts["owning_agency"],
                                     "case_number": facts["case_number"], "status": facts["status"],
                                     "score": judged["score"], "gaps": judged["gaps"], "ready": judged["ready"],
                                     "facts": json.dumps(facts, sort_keys=True)})


def _changes_facts(event: Any) -> bool:
    """Whether an event changes what the checklist judges (or whom a case's row is shown to, through its offices)."""
    if isinstance(event, (Investigation.Opened, Investigation.ShareRevoked, CaseFile.Started)):
        return False
    if isinstance(event, Investigation.Shared):
        return bool(event.access == "contribute")
    if isinstance(event, Investigation.EntryCorrected):
        return bool(event.entry_kind == "subject" and "role" in event.changes)
    if isinstance(event, Operation.Completed):
        return bool(event.results.get("forfeiture"))
    return not isinstance(event, (Operation.Planned, Operation.RecordedLate))


def _facts_of(rows: Rows, kept: dict[str, Any], case_id: str) -> Facts | None:
    if case_id not in kept["facts"]:
        found = rows.find(TABLE, {"id": case_id})
        kept["facts"][case_id] = json.loads(found["facts"]) if found is not None else None
    return kept["facts"][case_id]  # folded in place: the batch's transaction holds or drops it with the rest


def _case_of(rows: Rows, kept: dict[str, Any], record_id: str) -> str | None:
    if record_id not in kept["links"]:
        link = rows.find(LINKS, {"record_id": record_id})
        kept["links"][record_id] = link["investigation_id"] if link is not None else None
    return kept["links"][record_id]


def _share_row(rows: Rows, case_id: str, event: Any) -> None:
    if isinstance(event, Investigation.Shared):
        rows.upsert(ACCESS, ("investigation_id", "agency"),
                    {"investigation_id": case_id, "agency": event.agency, "access": event.access})
    else:
        rows.delete(ACCESS, {"investigation_id": case_id, "agency": event.agency})


def _office_row(rows: Rows, case_id: str, office: str, facts: Facts) -> None:
    """An office sees the case's row while a referral to it is open (it may have more than one)."""
    if facts["offices"].get(office):
        rows.upsert(ACCESS, ("investigation_id", "agency"),
                    {"investigation_id": case_id, "agency": office, "access": "prosecution"})
    else:
        rows.delete(ACCESS, {"investigation_id": case_id, "agency": office})


def _fold(facts: Facts, event: Any, record_id: str, position: int) -> None:
    """Change the facts of a case by one event of it or of one of its records."""
    for kind, fold in _FOLDS:
        if isinstance(event, kind):
            fold(facts, event, record_id, position)
            return


def _involve(facts: Facts, agency: str | None) -> None:
    """An agency whose people or files are in the case: its Jencks and Brady/Giglio reviews fall due."""
    if agency and agency != facts["owning_agency"] and agency not in facts["contributors"]:
        facts["contributors"] = sorted([*facts["contributors"], agency])


def _subject(facts: Facts, event: Any, *_: Any) -> None:
    if isinstance(event, Investigation.SubjectAdded):
        agency = event.envelope["actor"]["agency"]
        facts["subjects"][str(event.subject_id)] = {"role": event.details.get("role") or "unknown", "agency": agency}
        _involve(facts, agency)
    elif event.entry_kind == "subject" and "role" in event.changes:
        facts["subjects"].setdefault(str(event.subject_id), {"agency": event.entry_agency})["role"] = \
            event.changes["role"] or "unknown"


def _sharing(facts: Facts, event: Any, *_: Any) -> None:
    # An agency that could add to the case stays due its reviews after its share is narrowed or revoked.
    if isinstance(event, Investigation.Shared) and event.access == "contribute":
        _involve(facts, event.agency)


def _status(facts: Facts, event: Any, *_: Any) -> None:
    facts["status"] = event.to_status


def _offices(facts: Facts, event: Any, *_: Any) -> None:
    open_referrals = [r for r in facts.setdefault("offices", {}).get(event.office, []) if r != str(event.referral_id)]
    if isinstance(event, Investigation.ReferredForProsecution):
        open_referrals.append(str(event.referral_id))
    facts["offices"][event.office] = open_referrals


def _evidence(facts: Facts, event: Any, item_id: str, _: int) -> None:
    if isinstance(event, EvidenceItem.Logged):
        facts["evidence"][item_id] = {"agency": event.owning_agency, "discrepancies": 0, "lab_pending": 0}
        _involve(facts, event.owning_agency)
        return
    item = facts["evidence"].get(item_id)
    if item is None:
        return  # an item whose logging this read model never saw: nothing to count it against
    if isinstance(event, EvidenceItem.Transferred):
        item["discrepancies"] += len(event.discrepancies)
    else:
        item["lab_pending"] = max(0, item["lab_pending"] + (1 if isinstance(event, EvidenceItem.LabRequested) else -1))


def _case_file(facts: Facts, event: Any, *_: Any) -> None:
    if isinstance(event, CaseFile.ChargeProposed):
        facts["charges"][str(event.charge_id)] = {"elements": [False] * len(event.charge["elements"]),
                                                  "defendants": event.charge["defendants"]}
    elif isinstance(event, CaseFile.ElementSupported):
        charge = facts["charges"].get(str(event.charge_id))
        if charge is not None and event.element < len(charge["elements"]):
            charge["elements"][event.element] = True
    elif isinstance(event, CaseFile.WitnessAdded):
        facts["witnesses"][str(event.witness_id)] = {"impeachable": impeachable(event.witness)}
        _involve(facts, event.witness.get("agency"))
    elif isinstance(event, CaseFile.ProductionLogged):
        facts["productions"][str(event.production_id)] = {"overlapping": bool(event.overlapping)}
    elif isinstance(event, CaseFile.DisclosureReviewed):
        reviewed = facts["reviews"].setdefault(event.review["kind"], [])
        if event.review["agency"] not in reviewed:
            reviewed.append(event.review["agency"])


def _referral(facts: Facts, event: Any, referral_id: str, position: int) -> None:
    if isinstance(event, Referral.Drafted):
        # Its position orders referrals: the facts are stored with sorted keys, so their order is not kept.
        facts["referrals"][referral_id] = {"office": event.office, "status": "draft", "seq": position}
        return
    referral = facts["referrals"].get(referral_id)
    if referral is None:
        return
    if isinstance(event, Referral.Decided):
        referral["status"] = event.outcome
        referral["counts"] = {c["charge_id"]: c["decision"] for c in event.counts}
    else:
        referral["status"] = "approved" if isinstance(event, Referral.Approved) else "submitted"


def _forfeiture(facts: Facts, event: Any, op_id: str, _: int) -> None:
    actions = event.results.get("forfeiture", [])
    if actions:
        agency = event.envelope["actor"]["agency"]
        facts["forfeiture"][op_id] = {"agency": agency, "actions": len(actions),
                                      "without_deadline": sum("notice_deadline" not in a for a in actions)}


_FOLDS = (
    ((Investigation.SubjectAdded, Investigation.EntryCorrected), _subject),
    ((Investigation.Shared, Investigation.ShareRevoked), _sharing),
    (Investigation.StatusChanged, _status),
    ((Investigation.ReferredForProsecution, Investigation.ProsecutionAccessEnded), _offices),
    ((EvidenceItem.Logged, EvidenceItem.Transferred, EvidenceItem.LabRequested, EvidenceItem.LabReported), _evidence),
    ((CaseFile.ChargeProposed, CaseFile.ElementSupported, CaseFile.WitnessAdded, CaseFile.ProductionLogged,
      CaseFile.DisclosureReviewed), _case_file),
    ((Referral.Drafted, Referral.Approved, Referral.Submitted, Referral.Decided), _referral),
    (Operation.Completed, _forfeiture),
)


class ReadinessQuery:
    """Reads the readiness of one case, and the cases an agency sees, least ready first."""

    def __init__(self, db: Any, runner: Any):
        self.db = db
        self.runner = runner

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(ReadinessBoard.name, position, timeout)

    def facts_of(self, case_id: str) -> Facts | None:
        with self.db.transaction() as cur:
            row = cur.execute(f"SELECT facts FROM {TABLE} WHERE id = ?", [case_id]).fetchone()
        return json.loads(row["facts"]) if row is not None else None

    def least_ready(self, agency: str, *, prosecutor: bool, after: tuple[int, str] | None,
                    limit: int) -> list[dict[str, Any]]:
        """Cases the agency sees (its own and shared ones; for prosecutors, those referred to their office),
        by score then id, after the (score, id) cursor."""
        if prosecutor:
            where = [f"EXISTS (SELECT 1 FROM {ACCESS} a WHERE a.investigation_id = r.id AND a.agency = ? "
                     "AND a.access = 'prosecution')"]
            params: list[Any] = [agency]
        else:
            where = [f"(r.owning_agency = ? OR EXISTS (SELECT 1 FROM {ACCESS} a WHERE a.investigation_id = r.id "
                     "AND a.agency = ? AND a.access <> 'prosecution'))"]
            params = [agency, agency]
        where.append(f"r.status NOT IN ({', '.join('?' for _ in FROZEN)})")  # closed and merged cases are done
        params += sorted(FROZEN)
        if after is not None:
            where.append("(r.score > ? OR (r.score = ? AND r.id > ?))")
            params += [after[0], after[0], after[1]]
        sql = (f"SELECT r.id, r.owning_agency, r.case_number, r.status, r.score, r.gaps, r.ready FROM {TABLE} r "
               f"WHERE {' AND '.join(where)} ORDER BY r.score, r.id LIMIT ?")
        with self.db.transaction() as cur:
            return cur.execute(sql, [*params, limit]).fetchall()
