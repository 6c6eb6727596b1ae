"""A case's verifiable export: a zip streamed in constant memory that a court's expert checks without Pathways.

The bundle holds `events.jsonl` (every stored event of the case, its state the stored JSON as written),
`records/<type>/<id>.jsonl` (the same for each record the case's chain names: its evidence, its file, its
referrals), `checkpoint.json` (the heads of all of them, signed at export with PATHWAYS_SIGNING_KEY_FILE),
`manifest.json` (what is in it, the public key and its id) and `verify.py` (coordination/bundle_verifier.py: the
standard library and `cryptography` only). docs/verifying-an-export.md gives the procedure.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from coordination import access
from coordination.commands import Outcome, Session, Target, translated_store_errors
from coordination.context import RequestContext
from coordination.integrity import stored_content
from coordination.investigations import KIND
from coordination.ledger import Ledger
from coordination.signing import Signer
from domain.investigation import Investigation

# The whole case, every partner's entries included: only its owner exports it (a partner's view hides what a
# third agency added, and a filtered chain proves nothing).
EXPORTING = access.Policy("exporting", frozenset({"owner"}), refusal="only the agency that owns a {kind} exports it")
VERIFIER = Path(__file__).with_name("bundle_verifier.py")
BATCH = 500
ATTACHED = get_topic(Investigation.RecordAttached)


@dataclass
class _Written:
    """A record as written into the bundle: its file, how many events, their hash and the head digest."""

    kind: str
    record_id: UUID
    file: str
    count: int = 0
    head: str | None = None
    sha256: Any = field(default_factory=hashlib.sha256)

    def signed(self) -> dict[str, Any]:
        """What the checkpoint signs of it."""
        return {"record_id": str(self.record_id), "version": self.count, "head": self.head,
                "events_sha256": self.sha256.hexdigest()}


class _Chunks:
    """A write-only stream that hands on what was written (zipfile streams to an unseekable file)."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pending.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.pending = b"".join(self.pending), []
        return data


class CaseExport:
    """Streams a case's bundle; signs its head at export when the deployment has a signing key."""

    def __init__(self, ledger: Ledger, signer: Signer | None):
        self.ledger = ledger
        self.signer = signer

    def export(self, ctx: RequestContext, record_id: UUID) -> tuple[Outcome, Iterator[bytes]]:
        """Check the caller may export the case, then the bundle's bytes, a piece at a time."""
        with translated_store_errors():
            record = Target(KIND, record_id, EXPORTING).checked(Session(self.ledger), ctx)
        name = f"{record.case_number}.zip"
        return Outcome({"file_name": name, "version": record.version}, touched=access.touched(record)), \
            self.bundle(record_id, ctx.actor.as_dict())

    def bundle(self, record_id: UUID, exported_by: dict[str, Any],
               progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The bundle's bytes, a piece at a time, with no access check (the use case's, or the operator's CLI)."""
        out = _Chunks()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            case = _Written("investigation", record_id, "events.jsonl")
            attached: list[_Written] = []
            yield from self._write(bundle, out, case, progress, attached)
            for record in attached:
                yield from self._write(bundle, out, record, None, None)
            checkpoint = self._checkpoint(case, attached)
            bundle.writestr("checkpoint.json", json.dumps(checkpoint, indent=2))
            bundle.writestr("manifest.json", json.dumps(self._manifest(case, attached, exported_by), indent=2))
            bundle.writestr("verify.py", VERIFIER.read_text())
        yield out.take()

    def _write(self, bundle: zipfile.ZipFile, out: _Chunks, record: _Written, progress: Callable[[int], None] | None,
               attached: list[_Written] | None) -> Iterator[bytes]:
        """One record's events into its file; the records the case's chain names go to `attached`."""
        last = b"{}"
        with bundle.open(record.file, "w") as events:
            for line, topic, content in self._event_lines(record.record_id):
                events.write(line)
                record.sha256.update(line)
                record.count, last = record.count + 1, content
                if attached is not None and topic == ATTACHED:
                    state = json.loads(content)
                    attached.append(_Written(state["record_type"], UUID(hex=state["record_id"]["_data_"]),
                                             f"records/{state['record_type']}/{state['record_id']['_data_']}.jsonl"))
                if record.count % BATCH == 0:
                    if progress is not None:
                        progress(record.count)
                    yield out.take()
        record.head = json.loads(last).get("digest")

    def _event_lines(self, record_id: UUID) -> Iterator[tuple[bytes, str, bytes]]:
        """Each stored event as one JSON line, its state the stored JSON as written (not decoded and encoded again:
        the verifier reads the store's three encodings of ids, times and decimals); a page at a time."""
        after = 0
        while True:
            page = list(self.ledger.recorder.select_events(record_id, gt=after, limit=BATCH))
            for stored in page:
                content = stored_content(self.ledger, stored.state)
                head = json.dumps({"originator_id": str(stored.originator_id), "topic": stored.topic,
                                   "version": stored.originator_version})
                yield head[:-1].encode() + b', "state": ' + content + b"}\n", stored.topic, content
            if len(page) < BATCH:
                return
            after = page[-1].originator_version

    def _checkpoint(self, case: _Written, attached: list[_Written]) -> dict[str, Any]:
        if self.signer is None:
            return {"payload": None, "signature": None,
                    "unsigned": "this deployment has no PATHWAYS_SIGNING_KEY_FILE: the chain is checked, its origin "
                                "is not"}
        payload = {**case.signed(), "events": case.count, "records": [r.signed() for r in attached],
                   "exported_at": datetime.now(UTC).isoformat(), "key_id": self.signer.key_id}
        return {"payload": payload, "signature": self.signer.sign(payload)}

    def _manifest(self, case: _Written, attached: list[_Written], exported_by: dict[str, Any]) -> dict[str, Any]:
        return {"record_id": str(case.record_id), "events": case.count, "exported_by": exported_by,
                "exported_at": datetime.now(UTC).isoformat(),
                "records": [{"type": r.kind, "record_id": str(r.record_id), "file": r.file, "events": r.count}
                            for r in attached],
                "files": ["events.jsonl", *(r.file for r in attached), "checkpoint.json", "manifest.json",
                          "verify.py"],
                "public_key": self.signer.public_pem() if self.signer else None,
                "key_id": self.signer.key_id if self.signer else None,
                "verify": "python3 verify.py BUNDLE.zip --public-key KEY.pem (the key received from the deployment)"}
