"""The library baseline: one event per `Ledger.save()` from the same number of threads, without the server."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from bench.load import Scenario, run_timed
from coordination.commands import back_off
from coordination.config import Settings
from coordination.ledger import Ledger, ledger_env


class Tally(Aggregate):
    """The smallest aggregate: one event type, one field."""

    def __init__(self) -> None:
        self.count = 0

    @event("Noted")
    def note(self, text: str) -> None:
        self.count += 1


def run_library(
    settings: Settings, clients: int, seconds: float, stop: threading.Event, quiet: Any
) -> list[Scenario]:
    """One event per save, from `clients` threads: to distinct aggregates, then to one hot aggregate."""
    ledger = Ledger(env=ledger_env(settings, create_tables=True))
    scenarios = []
    try:
        for run in (_library_distinct, _library_hot):
            before = quiet()
            scenarios.append(run(ledger, clients, seconds, stop))
            scenarios[-1].quiet = before
        return scenarios
    finally:
        ledger.close()


def _library_threads(scenario: Scenario, clients: int, seconds: float, stop: threading.Event, body: Any) -> None:
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stamps: list[float] = []
    window: dict[str, float] = {}

    def run(index: int) -> None:
        lat, my_stamps, errors, conflicts = [], [], Counter(), 0
        step = body(index)
        barrier.wait()
        deadline = window["end"]
        while not stop.is_set():
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                conflicts += step()
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors[type(error).__name__] += 1
                if len(scenario.error_samples) < 10:
                    scenario.error_samples.append(f"{type(error).__name__}: {error}")
                continue
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            my_stamps.append(t1)
        with lock:
            scenario.latencies.extend(lat)
            stamps.extend(my_stamps)
            scenario.errors.update(errors)
            scenario.conflicts += conflicts

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    run_timed(scenario, threads, stamps, window, barrier, stop, seconds)


def _library_distinct(ledger: Ledger, clients: int, seconds: float, stop: threading.Event) -> Scenario:
    scenario = Scenario("library distinct", clients)
    tallies: dict[int, Tally] = {}

    def body(index: int) -> Any:
        tally = Tally()
        ledger.save(tally)
        tallies[index] = tally

        def step() -> int:
            tally.note(text="x")  # held in memory: nobody else writes to it
            ledger.save(tally)
            return 0

        return step

    _library_threads(scenario, clients, seconds, stop, body)
    stored = sum(ledger.repository.get(t.id).version - 1 for t in tallies.values())
    scenario.verification = {"saves": scenario.ok, "stored": stored, "exactly_once": stored == scenario.ok}
    return scenario


def _library_hot(ledger: Ledger, clients: int, seconds: float, stop: threading.Event) -> Scenario:
    scenario = Scenario("library hot", clients)
    hot = Tally()
    ledger.save(hot)

    def body(index: int) -> Any:
        def step() -> int:
            # As the API does: load (cache + fast-forward), change, save; on a lost race back off and retry.
            for attempt in range(1000):
                tally = ledger.repository.get(hot.id)
                tally.note(text="x")
                try:
                    ledger.save(tally)
                    return attempt
                except IntegrityError:
                    back_off(attempt)
            raise RuntimeError("1000 lost races in a row")

        return step

    _library_threads(scenario, clients, seconds, stop, body)
    stored = ledger.repository.get(hot.id).version - 1
    scenario.verification = {"saves": scenario.ok, "stored": stored, "exactly_once": stored == scenario.ok}
    return scenario

