"""Signed checkpoints of the whole ledger and audit trail: an insider who rewrites both stores consistently (every
digest and anchor recomputed) is still caught by anyone who holds the public key.

A checkpoint signs, with a key kept outside both stores (PATHWAYS_SIGNING_KEY_FILE), a running hash over every
notification of the log up to a position (its id, record, version, topic and the SHA-256 of its stored content as
written, decrypted and decompressed but not decoded: unchained records such as idempotency records are covered,
and a change of cipher key changes nothing), the audit trail's head at the time, and the previous checkpoint's
signature, so that a checkpoint taken out of the middle is missed too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from coordination.audit import TABLE as AUDIT_TABLE
from coordination.errors import CoordinationError
from coordination.integrity import stored_content
from coordination.ledger import Ledger
from coordination.signing import Signer, signed_by

log = logging.getLogger(__name__)
TABLE = "signed_checkpoints"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (seq BIGINT PRIMARY KEY, signed_at TEXT NOT NULL, position BIGINT NOT NULL, "
    "payload TEXT NOT NULL, signature TEXT NOT NULL, key_id TEXT NOT NULL)",
)
# Migrated in place like the audit trail beside it (coordination/migrations.py): a checkpoint is evidence.
STEPS = {"sqlite": ((1, DDL),), "postgres": ((1, DDL),)}
START = "0" * 64
BATCH = 1_000
Progress = Callable[[int, int], None]  # events walked, head of the log


class NoSigningKey(CoordinationError):
    """Checkpoints are signed with PATHWAYS_SIGNING_KEY_FILE, which this deployment does not set."""


class ForgedCheckpoint(CoordinationError):
    """The newest checkpoint is not signed by this deployment's key: nothing is signed on top of it."""


def link(digest: str, notification: Any, content: bytes) -> str:
    """The running hash after one more notification of the log."""
    line = (f"{digest}|{notification.id}|{notification.originator_id}|{notification.originator_version}|"
            f"{notification.topic}|{hashlib.sha256(content).hexdigest()}")
    return hashlib.sha256(line.encode()).hexdigest()


def signature_hash(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()


class SignedCheckpoints:
    """Seals the ledger's head in a signed checkpoint, and checks the whole ledger against the checkpoints."""

    def __init__(self, db: Any, ledger: Ledger, signer: Signer | None):
        self.db = db
        self.ledger = ledger
        self.signer = signer

    def seal(self) -> dict[str, Any]:
        """Extend the running hash from the newest checkpoint to the head of the log and sign it."""
        if self.signer is None:
            raise NoSigningKey("set PATHWAYS_SIGNING_KEY_FILE (make one with `pathways signing-key`)")
        last = self._newest()
        if last is not None and not signed_by(self.signer.public_key, last["payload"], last["signature"]):
            raise ForgedCheckpoint(f"checkpoint {last['payload']['seq']} is not signed by this deployment's key")
        start = last["payload"] if last is not None else {"seq": 0, "position": 0, "events": 0, "log_digest": START}
        # The log is walked outside any transaction: the audit store is not held while the ledger is read.
        digest, position, events = self._walk(start["log_digest"], start["position"], start["events"], None, None)
        payload = {"seq": start["seq"] + 1, "position": position, "events": events, "log_digest": digest,
                   "audit": self._audit_head(), "previous": signature_hash(last["signature"]) if last else None,
                   "signed_at": datetime.now(UTC).isoformat(), "key_id": self.signer.key_id}
        signature = self.signer.sign(payload)
        with self.db.transaction(write=True) as cur:
            cur.serialise(TABLE)
            cur.execute(f"INSERT INTO {TABLE} (seq, signed_at, position, payload, signature, key_id) "
                        f"VALUES (?, ?, ?, ?, ?, ?)", [payload["seq"], payload["signed_at"], position,
                                                       json.dumps(payload), signature, self.signer.key_id])
        return {"payload": payload, "signature": signature}

    def keep_sealing(self, stop: threading.Event, interval: float) -> None:
        """Seal every `interval` seconds while the log grows, until `stop` is set (the worker runs it in a thread);
        a failed seal is logged and tried again at the next turn."""
        while not stop.wait(interval):
            try:
                newest = self._newest()
                if (self.ledger.recorder.max_notification_id() or 0) > (newest["payload"]["position"] if newest else 0):
                    self.seal()
            except Exception:
                log.exception("could not seal a checkpoint of the ledger; trying again in %s s", interval)

    def verify(self, public_key: Any, progress: Progress | None = None) -> dict[str, Any]:
        """Walk the whole log against every checkpoint: each signed by `public_key`, each linked to the one before,
        each log digest and audit head as the stores hold them now. Names the first that does not hold."""
        with self.db.transaction() as cur:
            rows = [{"payload": json.loads(r["payload"]), "signature": r["signature"]}
                    for r in cur.execute(f"SELECT payload, signature FROM {TABLE} ORDER BY seq").fetchall()]
        digest, position, events, previous = START, 0, 0, None
        for expected_seq, checkpoint in enumerate(rows, start=1):
            payload = checkpoint["payload"]
            problem = self._problem(public_key, checkpoint, expected_seq, previous)
            if problem is None:
                digest, position, events = self._walk(digest, position, events, payload["position"], progress)
                problem = self._content_problem(payload, digest, position)
            if problem is not None:
                return _report(False, events, expected_seq - 1, {"checkpoint": expected_seq, "problem": problem})
            previous = signature_hash(checkpoint["signature"])
        return _report(True, events, len(rows), None)

    def _problem(self, public_key: Any, checkpoint: dict[str, Any], expected_seq: int,
                 previous: str | None) -> str | None:
        payload = checkpoint["payload"]
        if payload.get("seq") != expected_seq:
            return f"checkpoint {expected_seq} is missing"
        if not signed_by(public_key, payload, checkpoint["signature"]):
            return "its signature does not verify with the public key"
        if payload.get("previous") != previous:
            return "does not link to the checkpoint before it"
        return None

    def _content_problem(self, payload: dict[str, Any], digest: str, position: int) -> str | None:
        if position != payload["position"]:
            return f"the log ends at {position}, before the checkpoint's position {payload['position']}"
        if digest != payload["log_digest"]:
            return f"the log up to position {position} is not the log that was signed"
        audit = payload.get("audit")
        if audit is not None and self._audit_hash(audit["seq"]) != audit["hash"]:
            return f"the audit trail's record {audit['seq']} is not the one that was signed"
        return None

    def _walk(self, digest: str, position: int, events: int, stop: int | None,
              progress: Progress | None) -> tuple[str, int, int]:
        """Extend the running hash over the notifications after `position`, up to `stop` (or the head)."""
        recorder = self.ledger.recorder
        head = stop if stop is not None else (recorder.max_notification_id() or 0)
        while position < head:
            batch = recorder.select_notifications(start=position, limit=BATCH, stop=head, inclusive_of_start=False)
            if not batch:
                break
            for notification in batch:
                digest = link(digest, notification, stored_content(self.ledger, notification.state))
            position, events = batch[-1].id, events + len(batch)
            if progress is not None:
                progress(events, head)
        return digest, position, events

    def _newest(self) -> dict[str, Any] | None:
        with self.db.transaction() as cur:
            row = cur.execute(f"SELECT payload, signature FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else {"payload": json.loads(row["payload"]), "signature": row["signature"]}

    def _audit_head(self) -> dict[str, Any] | None:
        with self.db.transaction() as cur:
            row = cur.execute(f"SELECT seq, hash FROM {AUDIT_TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else {"seq": int(row["seq"]), "hash": row["hash"]}

    def _audit_hash(self, seq: int) -> str | None:
        with self.db.transaction() as cur:
            row = cur.execute(f"SELECT hash FROM {AUDIT_TABLE} WHERE seq = ?", [seq]).fetchone()
        return None if row is None else row["hash"]


def _report(valid: bool, events: int, checkpoints: int, first_broken: dict[str, Any] | None) -> dict[str, Any]:
    return {"valid": valid, "events_checked": events, "checkpoints_checked": checkpoints, "first_broken": first_broken}
