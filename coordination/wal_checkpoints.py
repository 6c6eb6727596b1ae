"""SQLite's write-ahead logs checkpointed in the background, so that no request pays for a checkpoint.

By default the connection whose commit takes a log past 1,000 pages copies the whole log into the database and
syncs it, inside that request: on the 100k-operation store that was one plan in thirty answering 15-20 ms late,
the whole of the planning p99 beyond its goal (docs/benchmarks.md). Here each process that writes a SQLite store
runs one thread that checkpoints its files every half second in PASSIVE mode, which never waits for a reader or
a writer and never blocks one; the requests' own connections checkpoint only if that thread has fallen ~40 MB
behind (a safety net: the log cannot grow without bound if the thread dies).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Pages of log a request's connection lets pass before it checkpoints itself (4 KiB pages: ~40 MB).
SAFETY_NET_PAGES = 10_000
INTERVAL_SECONDS = 0.5


def defer_checkpoints(conn: Any) -> None:
    """Leave this connection's checkpoints to the background, but for the safety net."""
    conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")


class Checkpointer:
    """One thread per process that checkpoints the logs of the given SQLite files."""

    def __init__(self, paths: Iterable[Path], interval: float = INTERVAL_SECONDS):
        self.paths = list(paths)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connections: dict[Path, sqlite3.Connection] = {}
        self.last: dict[Path, tuple[int, int]] = {}  # what the thread's latest pass found and did

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def checkpoint(self) -> dict[Path, tuple[int, int]]:
        """Checkpoint each file once; (frames in its log, frames copied into the database) of each one reached."""
        done = {}
        for path in self.paths:
            conn = self._connection(path)
            if conn is None:
                continue
            try:
                _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.OperationalError:  # another process's checkpoint of the same file is under way
                continue
            done[path] = (frames, copied)
        return done

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.last = self.checkpoint()
                except sqlite3.Error:  # a busy or vanished file is tried again next time; requests are unaffected
                    log.warning("a background WAL checkpoint failed; retrying", exc_info=True)
        finally:
            for conn in self._connections.values():
                conn.close()
            self._connections.clear()

    def _connection(self, path: Path) -> sqlite3.Connection | None:
        if path not in self._connections:
            if not path.exists():  # not created yet (the ledger's file appears with its first use): not created here
                return None
            # Never waits for a lock: a checkpoint that cannot start now is simply tried again later.
            self._connections[path] = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0,
                                                      isolation_level=None, check_same_thread=False)
        return self._connections[path]
