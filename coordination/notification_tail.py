"""One agency's latest notifications, kept in memory by the bell for that agency's open streams.

A tail holds every notification of its agency after its `start` cursor, in order, up to a bounded count: a
stream whose cursor is at or after `start` takes what follows it from here, without a read of its own; an older
one (a slow client, a reconnection from long ago) reads the read model until it has caught up.
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

Cursor = tuple[int, int]
# A side past every side of a position: (p, PAST_EVERY_SIDE) is "after everything at position p".
PAST_EVERY_SIDE = 1 << 30


def parse_cursor(text: str | None) -> Cursor:
    """A notifications cursor, "position.side" (as items give it)."""
    if not text:
        return (0, -1)
    position, _, side = text.partition(".")
    return int(position), int(side or -1)


class NotificationTail:
    """An agency's recent notifications (read only) with their cursors, complete from `start` on; bounded."""

    def __init__(self, size: int, start: Cursor | None):
        self.size = size
        self.followers = 0  # open streams of this agency in this process; guarded by the bell's lock
        self.behind = False  # the bell has news for it that it has not fetched yet; only the bell's thread sets it
        self._start = start  # None until the bell has looked once: nothing is known complete yet
        self._end = start
        self._entries: list[tuple[Cursor, dict[str, Any]]] = []
        self._changed = threading.Condition()  # one per agency: news for another agency wakes nobody here

    @property
    def start(self) -> Cursor | None:
        """Every notification after this cursor is here (or still to come), none is missing."""
        with self._changed:
            return self._start

    @property
    def end(self) -> Cursor | None:
        """The cursor of the last notification here (or `start` when there is none)."""
        with self._changed:
            return self._end

    def after(self, cursor: Cursor, limit: int) -> list[dict[str, Any]] | None:
        """Up to `limit` notifications after `cursor`, oldest first; None when `cursor` is older than the tail."""
        with self._changed:
            if self._start is None or cursor < self._start:
                return None
            first = bisect.bisect_right(self._entries, cursor, key=lambda entry: entry[0])
            return [item for _, item in self._entries[first:first + limit]]

    def wait(self, cursor: Cursor, timeout: float) -> bool:
        """Block until something follows `cursor` here (or the tail has moved past it), or `timeout` passes."""
        with self._changed:
            return self._changed.wait_for(lambda: self._has_after(cursor), timeout)

    def _has_after(self, cursor: Cursor) -> bool:
        return self._end is not None and self._end > cursor

    def begin(self, start: Cursor) -> None:
        """Start empty, complete after `start` (the bell's first look); wakes the streams that waited for it."""
        with self._changed:
            if self._start is None:
                self._start = self._end = start
                self._changed.notify_all()

    def extend(self, items: list[dict[str, Any]], cursors: list[Cursor]) -> None:
        """Append what the bell fetched after `end`; drop the oldest beyond `size` (`start` moves past them)."""
        if not items:
            return
        with self._changed:
            self._entries.extend(zip(cursors, items, strict=True))
            self._end = cursors[-1]
            excess = len(self._entries) - self.size
            if excess > 0:
                self._start = self._entries[excess - 1][0]
                del self._entries[:excess]
            self._changed.notify_all()
