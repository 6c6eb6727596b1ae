"""Notification streams fed by the bell: one read per agency with news, from memory after that, nothing missed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from coordination import board as board_module
from coordination.board import Board, heartbeat_after, parse_cursor
from coordination.context import RequestContext
from coordination.notification_bell import NotificationBell
from coordination.notification_tail import NotificationTail
from coordination.tables import DatabaseUnavailable
from domain.envelope import Actor
from tests.api.support import open_case, plan

START = (0, -1)


def _ctx(agency: str) -> RequestContext:
    return RequestContext(Actor(f"agent-{agency.lower()}", agency, agency, frozenset({"agent"})), "r")


class RecordingReader:
    """The real read-model query, recording each `notifications` read; can fail the next one as a down store."""

    def __init__(self, real: Any):
        self.real = real
        self.reads: list[tuple[str, tuple[int, int], int]] = []
        self.fail_next = False

    def notifications(self, agency: str, *, after: tuple[int, int], limit: int) -> list[dict[str, Any]]:
        if self.fail_next:
            self.fail_next = False
            raise DatabaseUnavailable("the read store is down (test)")
        self.reads.append((agency, after, limit))
        return self.real.notifications(agency, after=after, limit=limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class Follower:
    """One open stream, read by its own thread as a served response is."""

    def __init__(self, board: Board, agency: str, *, cursor: tuple[int, int] = START, heartbeat: float = 1.0):
        self.items: list[dict[str, Any]] = []
        self.batches: list[int] = []
        self.heartbeats = 0
        self._stop = threading.Event()
        self._batches = board.stream(_ctx(agency), cursor=cursor, max_seconds=60.0, heartbeat=heartbeat)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for batch in self._batches:
                self.items.extend(batch)
                self.batches.append(len(batch))
                self.heartbeats += not batch
                if self._stop.is_set():
                    break
        finally:
            self._batches.close()

    @property
    def cursors(self) -> list[str]:
        return [item["cursor"] for item in self.items]

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)


@pytest.fixture
def rig(services: Any) -> Iterator[SimpleNamespace]:
    """A bell that looks only when the test says (as if each call were a tick), and a board whose streams use it."""
    bell_reader, streams_reader = RecordingReader(services.board.reader), RecordingReader(services.board.reader)
    rig = SimpleNamespace(bell_reader=bell_reader, streams_reader=streams_reader, followers=[], services=services)
    rig.bell = NotificationBell(bell_reader, interval=3600, unavailable=(DatabaseUnavailable,))
    rig.board = Board(streams_reader, ledger=services.ledger, read_wait_max=5.0, unavailable=(DatabaseUnavailable,),
                      bell=rig.bell)

    def follow(agency: str, **kwargs: Any) -> Follower:
        follower = Follower(rig.board, agency, **kwargs)
        rig.followers.append(follower)
        return follower

    rig.follow = follow
    yield rig
    for follower in rig.followers:
        follower.stop()
    rig.bell.stop()


@pytest.fixture
def conflicts(client: Any, services: Any, worker: Any) -> Callable[..., None]:
    """`conflicts(n, a, b)`: n conflicts between agencies a and b (one notification each), folded into the board."""
    callers = {"HSI": "hsi_agent", "DEA": "dea_agent", "CBP": "cbp_agent", "FBI": "fbi_agent"}
    cases: dict[str, Any] = {}
    placed = iter(range(1000))

    def make(n: int, a: str = "HSI", b: str = "DEA") -> None:
        for _ in range(n):
            lat = 10.0 + next(placed)  # a degree apart: each pair meets only itself
            for agency in (a, b):
                caller = callers[agency]
                if agency not in cases:
                    cases[agency] = open_case(client, caller)
                plan(client, cases[agency], caller, lat=lat, lon=-66.10)
        assert services.projections.wait_for("deconfliction_board", services.ledger.max_position(), 30)

    return make


def _told(rig: SimpleNamespace, agency: str) -> list[dict[str, Any]]:
    """Everything the read model tells the agency, read by the test (not through the streams' reader)."""
    return rig.services.board.notifications(_ctx(agency), cursor=START, limit=100)["items"]


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_bell_reads_an_agencys_news_once_per_look_however_many_of_its_streams_are_open(rig, conflicts):
    rig.bell.poll()
    followers = [rig.follow("HSI") for _ in range(6)] + [rig.follow("DEA") for _ in range(3)]
    _until(lambda: len(rig.streams_reader.reads) == 9)  # each stream caught up from the read model once, on opening
    conflicts(2)
    rig.bell_reader.reads.clear()

    rig.bell.poll()
    _until(lambda: all(len(f.items) == 2 for f in followers))

    assert sorted(agency for agency, _, _ in rig.bell_reader.reads) == ["DEA", "HSI"]
    assert len(rig.streams_reader.reads) == 9  # the woken streams took their news from memory
    assert len({tuple(f.cursors) for f in followers[:6]}) == 1


def test_news_for_one_agency_wakes_no_stream_of_another(rig, conflicts, monkeypatch):
    rig.bell.poll()
    checks: list[Any] = []
    with rig.bell.follow("FBI") as tail:  # the tail the FBI stream will wait on, watched from before it opens
        checked = tail._has_after
        monkeypatch.setattr(tail, "_has_after", lambda cursor: checks.append(cursor) or checked(cursor))
        fbi, hsi = rig.follow("FBI", heartbeat=10.0), rig.follow("HSI")
        _until(lambda: len(checks) == 1 and len(rig.streams_reader.reads) == 2)  # both are waiting
        checks.clear()
        conflicts(1)  # HSI and DEA

        rig.bell.poll()
        _until(lambda: len(hsi.items) == 1)
        time.sleep(0.2)

    assert checks == [] and fbi.items == []


def test_a_stream_older_than_the_kept_tail_catches_up_from_the_read_model_then_follows_from_memory(rig, conflicts):
    rig.bell = NotificationBell(rig.bell_reader, interval=3600, tail_size=2)
    rig.board.bell = rig.bell
    rig.bell.poll()
    with rig.bell.follow("HSI") as tail:
        conflicts(4)
        for _ in range(3):  # two full pages of 2, then an empty one
            rig.bell.poll()
        told = _told(rig, "HSI")
        assert tail.start == parse_cursor(told[1]["cursor"])  # the first two are no longer kept
        rig.streams_reader.reads.clear()

        late = rig.follow("HSI", cursor=parse_cursor(told[0]["cursor"]))
        _until(lambda: len(late.items) == 3)
        conflicts(1)
        rig.bell.poll()
        _until(lambda: len(late.items) == 4)

    told = _told(rig, "HSI")
    assert late.cursors == [item["cursor"] for item in told[1:]]
    assert rig.streams_reader.reads == [("HSI", parse_cursor(told[0]["cursor"]), board_module.MAX_PAGE)]


def test_a_stream_from_an_old_cursor_reads_a_page_at_a_time_and_not_again_after_a_short_page(
        rig, conflicts, monkeypatch):
    monkeypatch.setattr(board_module, "MAX_PAGE", 2)
    rig.bell.poll()
    conflicts(5)
    rig.bell.poll()

    follower = rig.follow("HSI")
    _until(lambda: len(follower.items) == 5)
    time.sleep(0.2)

    assert follower.batches[:3] == [2, 2, 1]
    assert len(rig.streams_reader.reads) == 3  # pages of 2, 2, 1: no empty read after the short one


def test_streams_get_exactly_what_the_read_model_tells_their_agency_in_order_once(rig, conflicts):
    rig.bell.poll()
    followers = {agency: rig.follow(agency) for agency in ("HSI", "DEA", "CBP", "FBI")}
    conflicts(2, "HSI", "DEA")
    rig.bell.poll()
    conflicts(1, "CBP", "HSI")
    conflicts(1, "DEA", "CBP")
    rig.bell.poll()

    for agency, follower in followers.items():
        told = _told(rig, agency)
        expected = len(told)
        _until(lambda f=follower, n=expected: len(f.items) >= n)
        assert follower.cursors == [item["cursor"] for item in told], agency
    assert followers["FBI"].items == [] and len(followers["HSI"].items) == 3


def test_a_fetch_the_read_store_failed_is_made_at_the_next_look(rig, conflicts):
    rig.bell.poll()
    follower = rig.follow("HSI")
    _until(lambda: len(rig.streams_reader.reads) == 1)
    conflicts(1)
    rig.bell_reader.fail_next = True
    with pytest.raises(DatabaseUnavailable):
        rig.bell.poll()

    rig.bell.poll()

    _until(lambda: len(follower.items) == 1)
    assert len(rig.streams_reader.reads) == 1


def test_heartbeats_are_spread_within_bounds_and_read_nothing(rig, monkeypatch):
    waits: list[float] = []
    wait = NotificationTail.wait
    monkeypatch.setattr(NotificationTail, "wait", lambda self, cursor, timeout: waits.append(timeout)
                        or wait(self, cursor, timeout))
    rig.bell.poll()
    follower = rig.follow("FBI", heartbeat=0.08)
    _until(lambda: follower.heartbeats >= 8)
    follower.stop()

    assert all(0.06 <= timeout <= 0.08 for timeout in waits) and len(set(waits)) > 1
    assert len(rig.streams_reader.reads) == 1
    samples = [heartbeat_after(15.0) for _ in range(2000)]
    assert 11.25 <= min(samples) < 11.5 and 14.75 < max(samples) <= 15.0
