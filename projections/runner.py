"""Keeps projections up to date from the ledger: exactly once, restartable, rebuildable (DESIGN.md §4)."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from projections.projection import Cursor, Projection, Rows

log = logging.getLogger(__name__)

POSITIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_positions (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
)


LEADER_LOCK = "pathways-projection-worker"
WAKE_COALESCE_SECONDS = 0.05
# Told after each folded batch: the position reached, and the head of the log when the fold began.
Progress = Callable[[int, int], None]


class PositionMoved(Exception):
    """Another runner advanced the projection first; this batch is discarded and nothing is written twice."""


class ProjectionRunner:
    """Folds the ledger's notifications into each projection, its rows and position in one transaction."""

    def __init__(self, *, log: Any, db: Any, projections: Sequence[Projection], batch_size: int = 1000):
        self.log = log  # anything with the eventsourcing application's `recorder` and `mapper`
        self.db = db
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size

    def recreate(self, cur: Cursor, name: str) -> None:
        """In the caller's transaction: drop a projection's tables, create them per its DDL, position back to 0.

        What `pathways migrate` does to a read model whose version changed, before folding it again.
        """
        projection = self.projections[name]
        cur.execute(POSITIONS_DDL)
        for table in projection.tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in projection.ddl:
            cur.execute(statement)
        cur.execute(
            "INSERT INTO projection_positions (name, position) VALUES (?, 0) "
            "ON CONFLICT (name) DO UPDATE SET position = 0",
            [name],
        )

    def position(self, name: str) -> int:
        with self.db.transaction() as cur:
            return _position(cur, name)

    def positions(self) -> dict[str, int]:
        """Every projection's position (0 for one never folded), in one read."""
        with self.db.transaction() as cur:
            return _positions(cur, self.projections)

    def catch_up(self) -> int:
        """Fold everything recorded so far into every projection; returns how many events were folded.

        Projections at the same position are folded together: the log is read and each event decoded once for all
        of them, in one transaction per batch. One rebuilt from zero is folded apart, so the others keep up.
        """
        folded, positions = 0, self.positions()  # then kept here: each batch moves them by compare-and-set
        while True:
            groups: dict[int, list[Projection]] = defaultdict(list)
            for name, position in positions.items():
                groups[position].append(self.projections[name])
            finished = True
            for start, group in groups.items():
                try:
                    count, end, done = self._fold(group, start)
                except PositionMoved:
                    return folded  # another runner is folding these projections; it will finish the job
                folded += count
                positions.update({p.name: end for p in group})
                finished = finished and done
            if finished:
                return folded

    def _catch_up(self, projection: Projection, progress: Progress | None = None) -> int:
        folded = 0
        head = (self.log.recorder.max_notification_id() or 0) if progress else 0
        while True:
            try:
                count, done = self.step(projection)
            except PositionMoved:
                return folded  # another runner is folding this projection; it will finish the job
            folded += count
            if progress:
                progress(self.position(projection.name), head)
            if done:
                return folded

    def step(self, *projections: Projection) -> tuple[int, bool]:
        """Fold one batch into projections at one position; returns (events folded, whether the end of the log was
        reached). If a position moved since it was read, the whole batch is discarded (PositionMoved)."""
        starts = {self.positions()[p.name] for p in projections}
        if len(starts) != 1:
            raise ValueError("projections folded together start from one position")
        folded, _, done = self._fold(projections, starts.pop())
        return folded, done

    def _fold(self, projections: Sequence[Projection], start: int) -> tuple[int, int, bool]:
        """Fold the next batch after `start` into the projections; returns (events folded, the position reached,
        whether that is the end of the log).

        Only the events of the projections' topics are read, up to the head of the log as it was before reading:
        a position means "everything up to here is folded", so it moves to the head past events nobody folds."""
        head = self.log.recorder.max_notification_id() or 0
        if head <= start:
            return 0, start, True
        topics = sorted(set().union(*(p.topics for p in projections)))
        notifications = self.log.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=head, topics=topics, inclusive_of_start=False
        )
        done = len(notifications) < self.batch_size
        end = head if done else notifications[-1].id
        with self.db.transaction(write=True) as cur:
            rows, folded = Rows(cur), 0
            with cur.pipelined():  # the store applies each write while the next event is decoded and folded
                for notification in notifications:
                    event = self.log.mapper.to_domain_event(notification)  # decoded once for all of them
                    for projection in projections:
                        if notification.topic in projection.topics:
                            projection.apply(event, notification.id, rows)
                            folded += 1
            # Compare-and-set, last: if another runner moved a position, this transaction (rows too) is undone.
            _advance(cur, [p.name for p in projections], start, end)
        return folded, end, done

    def rebuild(self, name: str, progress: Progress | None = None) -> int | None:
        """Empty a projection's tables and fold the whole ledger again from position 0.

        The reset is one transaction; then `refold` folds it, or leaves it to the running worker.
        """
        projection = self.projections[name]
        with self.db.transaction(write=True) as cur:
            for table in projection.tables:
                cur.execute(f"DELETE FROM {table}")
            cur.execute("UPDATE projection_positions SET position = 0 WHERE name = ?", [name])
        return self.refold(name, progress)

    def refold(self, name: str, progress: Progress | None = None) -> int | None:
        """Fold a projection from its stored position to the end of the log; returns how many events it folded.

        The folding is done here only under the worker lease: if a running worker leads, it folds the
        projection itself (and None is returned), since two folders would only contend.
        """
        lease = self.db.try_lead(LEADER_LOCK)
        if lease is None:
            return None
        try:
            return self._catch_up(self.projections[name], progress)
        finally:
            lease.release()

    def wait_for(self, name: str, position: int, timeout: float) -> bool:
        """Block until the projection has folded the log up to `position`, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while self.position(name) < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def run_forever(self, stop: threading.Event, poll_interval: float = 0.1) -> None:
        """Lead (or wait to lead), then follow the ledger until `stop` is set; a failed batch is retried."""
        lease = self._lead(stop)
        try:
            self._follow(stop, poll_interval)
        finally:
            if lease is not None:
                lease.release()

    def _lead(self, stop: threading.Event) -> Any:
        # One active worker per deployment; the others stand by here. Correctness does not depend on it
        # (positions are compare-and-set), but two workers would only contend.
        while not stop.is_set():
            try:
                lease = self.db.try_lead(LEADER_LOCK)
            except Exception:
                log.exception("could not reach the read store to take the worker lock")
                lease = None
            if lease is not None:
                return lease
            stop.wait(1.0)
        return None

    def _follow(self, stop: threading.Event, poll_interval: float) -> None:
        while not stop.is_set():
            try:
                folded = self.catch_up()
            except PositionMoved as moved:
                log.warning("projection %s was advanced by another runner", moved)
                folded = 0
            except Exception:
                log.exception("projection batch failed; retrying")
                stop.wait(1.0)
                continue
            if not folded:
                self._idle(stop, poll_interval)

    def _idle(self, stop: threading.Event, poll_interval: float) -> None:
        # On PostgreSQL the ledger NOTIFYs on every save: wake soon after a write rather than at the next poll,
        # but let a few more writes land first, so that a busy ledger is folded in batches, not one by one
        # (folding each write alone cost the API a quarter of its throughput on 2 cores).
        channel = getattr(self.log.recorder, "channel_name", None)
        if channel:
            if self.db.wait_for_notification(channel, poll_interval):
                stop.wait(WAKE_COALESCE_SECONDS)
        else:
            stop.wait(poll_interval)


def _positions(cur: Cursor, names: Any) -> dict[str, int]:
    found = {r["name"]: int(r["position"]) for r in cur.execute("SELECT name, position FROM projection_positions")
             .fetchall()}
    return {name: found.get(name, 0) for name in names}


def _position(cur: Cursor, name: str) -> int:
    row = cur.execute("SELECT position FROM projection_positions WHERE name = ?", [name]).fetchone()
    return 0 if row is None else int(row["position"])


def _advance(cur: Cursor, names: list[str], old: int, new: int) -> None:
    # Compare-and-set: if another runner moved a position, this batch must not be applied twice.
    cur.execute(f"UPDATE projection_positions SET position = ? WHERE position = ? AND name IN "
                f"({', '.join('?' for _ in names)})", [new, old, *names])
    if cur.rowcount != len(names):
        raise PositionMoved(", ".join(names))
