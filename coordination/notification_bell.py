"""Feeds open notification streams from one poller per process, not one read per stream.

Each interval the bell asks the read model once which agencies were told anything since it last looked; for each
such agency that has open streams here it fetches the new notifications once (one query, decrypted once) into
that agency's in-memory tail, and wakes only that agency's streams, which take them from memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from coordination.notification_tail import PAST_EVERY_SIDE, Cursor, NotificationTail, parse_cursor

log = logging.getLogger(__name__)
TAIL_SIZE = 500


class Notices(Protocol):
    def latest_by_agency(self, after: int) -> dict[str, int]: ...

    def notifications(self, agency: str, *, after: tuple[int, int], limit: int) -> list[dict[str, Any]]: ...


class NotificationBell:
    """Keeps each followed agency's latest notifications in memory, polling the read model for all of them."""

    def __init__(self, reader: Notices, *, interval: float = 0.5, unavailable: tuple[type[Exception], ...] = (),
                 tail_size: int = TAIL_SIZE):
        self.reader = reader
        self.interval = interval
        self.unavailable = unavailable
        self.tail_size = max(1, tail_size)
        self._tails: dict[str, NotificationTail] = {}
        self._seen: int | None = None  # the last notification position seen of any agency; None before a look
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()

    @contextmanager
    def follow(self, agency: str) -> Iterator[NotificationTail]:
        """The agency's tail, kept (and fetched into) while at least one stream follows it in this process."""
        self._start()
        with self._lock:
            tail = self._tails.get(agency)
            if tail is None:
                # Complete after the last position the bell saw: by then every earlier one was committed, so a
                # stream that reads the read model after this point misses nothing between the two.
                start = None if self._seen is None else (self._seen, PAST_EVERY_SIDE)
                tail = self._tails[agency] = NotificationTail(self.tail_size, start)
            tail.followers += 1
        try:
            yield tail
        finally:
            with self._lock:
                tail.followers -= 1
                if tail.followers == 0 and self._tails.get(agency) is tail:
                    del self._tails[agency]  # memory only for agencies someone follows

    def _start(self) -> None:
        # Started on first use, in the serving process: gunicorn forks its workers after the app is built.
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="notification-bell", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop polling (the process is closing its stores)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.poll()
            except self.unavailable:
                log.warning("the notification bell cannot reach the read store; streams wait", exc_info=True)
            except Exception:
                log.exception("the notification bell failed a poll")

    def poll(self) -> None:
        """One look, as the bell's thread takes every interval: one query, then one per followed agency with news."""
        found = self.reader.latest_by_agency(self._seen or 0)
        with self._lock:
            self._seen = max([self._seen or 0, *found.values()])
            for tail in self._tails.values():
                tail.begin((self._seen, PAST_EVERY_SIDE))  # no-op but for tails opened before the first look
            due = {agency: tail for agency, tail in self._tails.items()
                   if tail.behind or found.get(agency, 0) > _position(tail.end)}
            for tail in due.values():
                tail.behind = True  # until fetched: `_seen` moved on, so a failed fetch must be retried next time
        for agency, tail in due.items():
            self._fetch(agency, tail)

    def _fetch(self, agency: str, tail: NotificationTail) -> None:
        after = tail.end
        assert after is not None
        items = self.reader.notifications(agency, after=after, limit=self.tail_size)
        tail.extend(items, [parse_cursor(item["cursor"]) for item in items])
        tail.behind = len(items) == self.tail_size  # a full page: more may follow, fetch again next time


def _position(cursor: Cursor | None) -> int:
    return cursor[0] if cursor is not None else 0
