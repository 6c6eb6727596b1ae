"""A local file that holds audit records while the audit store is unreachable, until they can be chained."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BATCH = 500


class AuditSpool:
    """Append-only JSON lines, fsynced; drained into the audit trail, oldest first, in bounded batches."""

    def __init__(self, path: Path):
        self.path = path

    def add(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(blocking=True) as handle:
            assert handle is not None
            if not _ends_a_line(handle):
                handle.write("\n")  # a torn line from a killed writer must not swallow this record
            handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def drain(
        self, append_all: Callable[[list[dict[str, Any]]], Any], *, unreadable: Callable[[str], dict[str, Any]],
        batches: int | None = None,
    ) -> None:
        """Hand the spooled records to `append_all`, a bounded batch per call, removing each batch once stored.

        `batches` bounds how many batches this call drains (all without it): a request that drains on its
        way out must not pay for a whole outage's backlog.

        Another process already draining is left to it. A line that cannot be read (a process killed
        mid-write) is kept aside in `<spool>.corrupt` and replaced by the record `unreadable(line)` makes of it.
        """
        with self._locked(blocking=False) as handle:
            if handle is None:
                return
            handle.seek(0)
            lines = [line for line in handle.readlines() if line.strip()]
            while lines and batches != 0:
                batches = None if batches is None else batches - 1
                batch, lines = lines[:BATCH], lines[BATCH:]
                append_all([self._parsed(line, unreadable) for line in batch])
                handle.seek(0)
                handle.truncate()
                handle.writelines(lines)
                handle.flush()
                os.fsync(handle.fileno())

    def _parsed(self, line: str, unreadable: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        try:
            row = json.loads(line)
            if isinstance(row, dict) and "record_id" in row:
                return row
        except ValueError:
            pass
        with open(self.path.with_suffix(".corrupt"), "a") as aside:
            aside.write(line if line.endswith("\n") else line + "\n")
        # Named after the line itself, so that draining it twice records it once.
        return dict(unreadable(line), record_id=hashlib.sha256(line.encode()).hexdigest()[:32])

    @contextmanager
    def _locked(self, *, blocking: bool) -> Iterator[Any]:
        with open(self.path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _ends_a_line(handle: Any) -> bool:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size == 0:
        return True
    handle.seek(size - 1)
    return handle.read(1) == "\n"
