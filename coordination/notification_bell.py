"""Wakes open notification streams when their agency has something new: one poller per process, not per stream.

Two hundred open streams each asking the read store every second would be two hundred queries a second for
nothing; the bell asks once per interval which agencies were told anything since it last looked, and wakes
only their streams.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Latest(Protocol):
    def latest_by_agency(self, after: int) -> dict[str, int]: ...


class NotificationBell:
    """Streams wait on it for their agency's next notification; it polls the read model for all of them."""

    def __init__(self, reader: Latest, *, interval: float = 0.5, unavailable: tuple[type[Exception], ...] = ()):
        self.reader = reader
        self.interval = interval
        self.unavailable = unavailable
        self._latest: dict[str, int] = {}
        self._seen: int | None = None
        self._ringing = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()

    def wait(self, agency: str, after: int, timeout: float) -> bool:
        """Block until the agency has a notification after position `after`, or `timeout` passes."""
        self._start()
        with self._ringing:
            return self._ringing.wait_for(lambda: self._latest.get(agency, 0) > after, timeout)

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
                self._poll()
            except self.unavailable:
                log.warning("the notification bell cannot reach the read store; streams wait", exc_info=True)
            except Exception:
                log.exception("the notification bell failed a poll")

    def _poll(self) -> None:
        # The first look learns every agency's last notification, so a stream that fetched just before the bell
        # started is woken by what came after its fetch (one scan of the table's index, once per process).
        found: dict[str, Any] = self.reader.latest_by_agency(self._seen or 0)
        with self._ringing:
            self._latest.update(found)
            self._seen = max(self._seen or 0, *found.values(), 0)
            if found:
                self._ringing.notify_all()
