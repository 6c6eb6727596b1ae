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

    def drain(self, append_all: Callable[[list[dict[str, Any]]], Any]) -> None:
        """Hand every spooled record to `append_all` (one transaction); empty the spool only if it succeeded."""
        with self._locked() as handle:
            handle.seek(0)
            rows = [json.loads(line) for line in handle if line.strip()]
            if rows:
                append_all(rows)
            handle.seek(0)
            handle.truncate()
            os.fsync(handle.fileno())

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        with open(self.path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
