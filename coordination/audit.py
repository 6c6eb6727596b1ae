"""The audit trail: one hash-chained, append-only record per touch of case data (DESIGN.md §7, CJIS 5.4)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from coordination import access
from coordination.anchors import write_heads
from coordination.audit_spool import AuditSpool
from coordination.cipher import AUDIT, FieldCipher, UndecryptableValue
from coordination.context import RequestContext
from coordination.errors import StoreUnavailable
from domain.chain import GENESIS

log = logging.getLogger(__name__)
MAX_PAGE = 500
DRAIN_PAUSE_SECONDS = 5.0
DRAIN_BATCHES = 1  # per request: one batch (500 records, ~0.25 s) keeps its wait bounded after any outage
TABLE = "audit_records"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (seq BIGINT PRIMARY KEY, record_id TEXT NOT NULL UNIQUE, "
    "recorded_at TEXT NOT NULL, sub TEXT NOT NULL, agency TEXT NOT NULL, roles TEXT NOT NULL, "
    "action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL, object_owner TEXT NOT NULL, "
    "outcome TEXT NOT NULL, "
    "status INTEGER NOT NULL, request_id TEXT NOT NULL, source TEXT NOT NULL, detail TEXT NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_sub ON {TABLE} (sub, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_agency ON {TABLE} (agency, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_object ON {TABLE} (object_id, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_owner ON {TABLE} (object_owner, seq)",
)
# The store itself refuses to change or remove a record; tampering then needs the schema owner's hand.
APPEND_ONLY = {
    "sqlite": (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    ),
    "postgres": (
        f"CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
        f"CREATE OR REPLACE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
        f"CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()",
    ),
}
# The trail is migrated in place, never rebuilt (coordination/migrations.py): its records are evidence and the
# triggers refuse UPDATE and DELETE, so each step is DDL that leaves every stored row, and so its hash, as it
# was. Step 1 is the trail as it was before versioning; a released step never changes, a new one is appended.
STEPS = {
    dialect: (
        (1, (*DDL, *append_only)),
        # 2: searching by outcome or action had no index, so looking for the rare denials walked the whole trail.
        (2, (f"CREATE INDEX IF NOT EXISTS {TABLE}_outcome ON {TABLE} (outcome, seq)",
             f"CREATE INDEX IF NOT EXISTS {TABLE}_action ON {TABLE} (action, seq)")),
    )
    for dialect, append_only in APPEND_ONLY.items()
}
_FIELDS = ("record_id", "recorded_at", "sub", "agency", "roles", "action", "object_type", "object_id",
           "object_owner", "outcome", "status", "request_id", "source", "detail")
FILTERS = ("sub", "agency", "object_id", "outcome", "action")
# What a request sent (its query string, a token's error) can carry case text: encrypted before it is chained.
# Who, what, when, which object, outcome and from where stay clear for auditors and for filters.
DETAIL = f"{TABLE}.detail"


@dataclass(frozen=True)
class AuditRecord:
    """Who did what to which object, from where, with which outcome."""

    sub: str
    agency: str
    action: str
    outcome: str  # allowed | denied | rejected | failed
    status: int
    request_id: str
    source: str
    roles: str = ""
    object_type: str = ""
    object_id: str = ""
    object_owner: str = ""  # the agency that owns the object touched, when known
    detail: str = ""
    recorded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class Database(Protocol):
    dialect: str

    def transaction(self, *, write: bool = False) -> Any: ...


def _hash(prev: str, row: dict[str, Any]) -> str:
    content = json.dumps({k: row[k] for k in _FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev}|{content}".encode()).hexdigest()


class AuditTrail:
    """Appends records to a chain that the verifier can check; reading it is itself audited by the api."""

    def __init__(
        self, db: Database, *, unavailable: tuple[type[Exception], ...] = (), spool: AuditSpool | None = None,
        cipher: FieldCipher | None = None,
    ):
        self.db = db
        self.unavailable = unavailable
        self.spool = spool
        self.cipher = cipher or FieldCipher(None, AUDIT)
        self._drain_paused_until = 0.0

    def record(self, record: AuditRecord, heads: list[tuple[UUID, int, str]] | None = None) -> int:
        """Append one record, chained to the last; while the store is down it waits in the spool, not lost.

        `heads` are the chain heads the request's write reached: anchored in the same transaction (or spooled
        with the record).
        """
        row = asdict(record)
        # Encrypted before the spool, the table or the WAL see it; the chain covers the stored form (no key needed).
        row["detail"] = self.cipher.encrypt(row["detail"], DETAIL)
        self._drain_spool()
        if self.spool is not None and self.spool.pending():
            # Older records still wait (a long outage's backlog is drained a batch per request): this one
            # waits behind them, so the chain keeps the order in which things happened.
            return self._spooled(row, heads)
        try:
            return self._append_all([row], heads=heads or [], drained=False)[-1]
        except self.unavailable:
            if self.spool is None:
                raise
            return self._spooled(row, heads)

    def _spooled(self, row: dict[str, Any], heads: list[tuple[UUID, int, str]] | None) -> int:
        assert self.spool is not None
        self.spool.add(dict(row, _heads=[[str(i), v, d] for i, v, d in heads or []]))
        return 0

    def _drain_spool(self) -> None:
        """Chain what waited in the spool (oldest first); a failure leaves it there and pauses draining briefly."""
        if self.spool is None or time.monotonic() < self._drain_paused_until or not self.spool.pending():
            return
        try:
            self.spool.drain(self._append_spooled, unreadable=self._record_unreadable, batches=DRAIN_BATCHES)
        except Exception:
            # While the store is down, every request trying to drain first would wait out a timeout twice.
            self._drain_paused_until = time.monotonic() + DRAIN_PAUSE_SECONDS
            log.warning("could not drain the audit spool; its records stay there", exc_info=True)

    def _append_spooled(self, rows: list[dict[str, Any]]) -> list[int]:
        heads = [(UUID(i), int(v), d) for row in rows for i, v, d in row.get("_heads", [])]
        return self._append_all([{k: v for k, v in row.items() if k != "_heads"} for row in rows], heads=heads)

    def _record_unreadable(self, line: str) -> dict[str, Any]:
        detail = self.cipher.encrypt(f"unreadable spooled record: {line[:200]}", DETAIL)
        return asdict(AuditRecord(sub="-", agency="-", action="audit spool", outcome="failed", status=0,
                                  request_id="", source="", detail=detail))

    def _append_all(
        self, rows: list[dict[str, Any]], *, heads: list[tuple[UUID, int, str]] | None = None, drained: bool = True
    ) -> list[int]:
        # Writers queue on a lock, so the chain never forks.
        seqs = []
        with self.db.transaction(write=True) as cur:
            cur.serialise(TABLE)
            if heads:
                write_heads(cur, heads)
            last = cur.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(last["seq"]), last["hash"]) if last else (0, GENESIS)
            for record in self._not_yet_recorded(cur, rows) if drained else rows:
                seq += 1
                row = dict(record, seq=seq, prev_hash=prev, hash=_hash(prev, record))
                columns = list(row)
                cur.execute(
                    f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [row[c] for c in columns],
                )
                prev = row["hash"]
                seqs.append(seq)
        return seqs

    @staticmethod
    def _not_yet_recorded(cur: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A spool drained twice (a crash between commit and truncate) must not record anything twice.
        ids = [r["record_id"] for r in rows]
        found = cur.execute(
            f"SELECT record_id FROM {TABLE} WHERE record_id IN ({', '.join('?' * len(ids))})", ids
        ).fetchall()
        recorded = {r["record_id"] for r in found}
        return [r for r in rows if r["record_id"] not in recorded]

    def search(
        self, ctx: RequestContext, *, filters: dict[str, str | None], since: datetime | None = None,
        until: datetime | None = None, before: int | None = None, limit: int = 100,
    ) -> dict[str, Any]:
        """Audit records, newest first, filtered; for auditors only.

        An agency's auditor sees what its people did and what anyone did to its cases; an auditor who is also
        an admin (the platform's own oversight) sees every record, refused tokens included.
        """
        access.require_role(ctx.actor, access.AUDIT_READERS, "reading the audit trail")
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if not ctx.actor.has_any_role("admin"):
            where.append("(agency = ? OR object_owner = ?)")
            params += [ctx.actor.agency, ctx.actor.agency]
        for name in FILTERS:
            if filters.get(name) is not None:
                where.append(f"{name} = ?")
                params.append(filters[name])
        for clause, value in (("recorded_at >= ?", since), ("recorded_at < ?", until)):
            if value is not None:
                where.append(clause)
                params.append(value.astimezone(UTC).isoformat())
        if before is not None:
            where.append("seq < ?")
            params.append(before)
        limit = max(1, min(limit, MAX_PAGE))
        try:
            with self.db.transaction() as cur:
                rows = cur.execute(
                    f"SELECT * FROM {TABLE} WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
                    [*params, limit + 1],
                ).fetchall()
        except self.unavailable as error:
            raise StoreUnavailable("the audit store is unreachable; retry shortly") from error
        items = [{**r, "detail": self._readable(r)} for r in rows[:limit]]
        if not ctx.actor.has_any_role("admin"):
            # Whose case another agency's people touched (or probed) is that other agency's business.
            items = [r if r["object_owner"] in ("", ctx.actor.agency) else {**r, "object_owner": "(another agency)"}
                     for r in items]
        return {"items": items, "next_before": rows[limit - 1]["seq"] if len(rows) > limit else None}

    def _readable(self, row: dict[str, Any]) -> str:
        try:
            return self.cipher.decrypt(row["detail"], DETAIL)
        except UndecryptableValue as error:
            # One record that does not decrypt must not hide the others; hash and chain still say what was stored.
            log.warning("audit record %s: %s", row["seq"], error)
            return f"(not decryptable: {error}) {row['detail']}"

    def verify_reachable(self) -> None:
        """Raise if the audit store does not answer (for readiness)."""
        with self.db.transaction() as cur:
            cur.execute(f"SELECT 1 FROM {TABLE} LIMIT 1")

    def verify(self) -> dict[str, Any]:
        """Walk the whole chain; name the first record whose link or content does not hold."""
        prev, expected, count = GENESIS, 1, 0
        with self.db.transaction() as cur:
            for row in cur.execute(f"SELECT * FROM {TABLE} ORDER BY seq").fetchall():
                problem = _problem(row, prev, expected)
                if problem:
                    return {"intact": False, "records": count, "first_broken": {"seq": row["seq"], "problem": problem}}
                prev, expected, count = row["hash"], int(row["seq"]) + 1, count + 1
        return {"intact": True, "records": count, "head": prev, "first_broken": None}


def _problem(row: dict[str, Any], prev: str, expected: int) -> str | None:
    if int(row["seq"]) != expected:
        return f"record {expected} is missing"
    if row["prev_hash"] != prev:
        return "does not link to the record before it"
    if row["hash"] != _hash(prev, row):
        return "its content does not match its hash"
    return None
