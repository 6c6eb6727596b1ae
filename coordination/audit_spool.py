"""A local file that holds audit records while the audit store is unreachable, until they can be chained."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class AuditSpool:
    """Append-only JSON lines, fsynced; drained into the audit trail, oldest first, under an exclusive lock."""

    def __init__(self, path: Path):
        self.path = path

    def add(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked() as handle:
            handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def drain(
        self, append_all: Callable[[list[dict[str, Any]]], Any], *, unreadable: Callable[[str], dict[str, Any]]
    ) -> None:
        """Hand every spooled record to `append_all` (one transaction); empty the spool only if it succeeded.

        A line that cannot be read (a process killed mid-write) is kept aside in `<spool>.corrupt` and replaced
        by the record `unreadable(line)` makes of it, so one torn line never blocks the others.
        """
        with self._locked() as handle:
            handle.seek(0)
            rows = [self._parsed(line, unreadable) for line in handle if line.strip()]
            if rows:
                append_all(rows)
            handle.seek(0)
            handle.truncate()
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
        return unreadable(line)

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        with open(self.path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
