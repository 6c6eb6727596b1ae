"""The projection runner: exactly once, restartable, rebuildable with identical rows, on both stores."""

from __future__ import annotations

from uuid import uuid4

import pytest

from coordination.context import RequestContext
from domain.area_index import AreaIndex
from domain.envelope import Actor
from projections.case_list import CaseList
from projections.runner import PositionMoved, ProjectionRunner

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent", "supervisor"})), "r")


def populate(services, cases: int = 6) -> list[str]:
    ids = []
    for n in range(cases):
        inv = services.investigations.open(HSI, title=f"Case {n}", threat_domain="cybercrime", summary=None).result
        ids.append(inv["id"])
        services.investigations.share(HSI, inv["id"], agency="DEA", access_level="read", expected_version=None)
        services.investigations.log_action(HSI, inv["id"], kind="search", summary="s", occurred_at=None,
                                           location=None, expected_version=None)
    services.investigations.change_status(HSI, ids[0], status="active", reason="approved", merged_into=None,
                                          expected_version=3)
    if cases >= 3:
        services.investigations.revoke_share(HSI, ids[1], agency="DEA", expected_version=None)
        services.investigations.correct(HSI, ids[2], corrects=1, changes={"title": "Renamed"}, reason="typo",
                                        expected_version=3)
    return ids


def rows(services) -> list[dict]:
    with services.views_db.transaction() as cur:
        cases = cur.execute("SELECT * FROM case_list ORDER BY id").fetchall()
        shares = cur.execute("SELECT * FROM case_list_shares ORDER BY investigation_id, agency").fetchall()
    return cases + shares


def fresh_runner(services, batch_size: int = 500) -> ProjectionRunner:
    """A second runner on the same stores, as after a worker restart."""
    return ProjectionRunner(log=services.ledger, db=services.views_db, projections=[CaseList()],
                            batch_size=batch_size)


def test_catching_up_folds_every_case_into_the_case_list(services):
    populate(services)
    services.projections.catch_up()
    with services.views_db.transaction() as cur:
        assert cur.execute("SELECT COUNT(*) AS n FROM case_list").fetchone()["n"] == 6


def test_the_case_list_reflects_status_shares_and_corrections(services):
    ids = populate(services)
    services.projections.catch_up()
    by_id = {r["id"]: r for r in rows(services) if "case_number" in r}
    assert by_id[str(ids[0])]["status"] == "active"
    assert by_id[str(ids[2])]["title"] == "Renamed"
    shared = {r["investigation_id"] for r in rows(services) if "access" in r}
    assert str(ids[1]) not in shared and str(ids[0]) in shared


def test_the_position_reaches_the_end_of_the_ledger(services):
    populate(services)
    services.projections.catch_up()
    assert services.projections.position("case_list") == services.ledger.max_position()


def test_a_rebuild_from_zero_gives_the_same_rows_as_incremental_folding(services):
    populate(services)
    services.projections.catch_up()
    incremental = rows(services)
    services.projections.rebuild("case_list")
    assert rows(services) == incremental


def test_a_runner_restarted_mid_stream_skips_nothing_and_repeats_nothing(services):
    populate(services)
    first = fresh_runner(services, batch_size=4)
    first.step(first.projections["case_list"])
    first.step(first.projections["case_list"])
    fresh_runner(services, batch_size=4).catch_up()
    resumed = rows(services)
    services.projections.rebuild("case_list")
    assert resumed == rows(services)


def test_a_batch_whose_position_moved_underneath_is_discarded(services):
    populate(services)
    runner = fresh_runner(services, batch_size=4)
    runner.catch_up()
    before = rows(services)
    with services.views_db.transaction(write=True) as cur:
        cur.execute("UPDATE projection_positions SET position = 0 WHERE name = 'case_list'")
    moving = fresh_runner(services, batch_size=4)
    moving.positions = lambda: {"case_list": 0}  # the runner read 0, but another runner moves it before the write
    with services.views_db.transaction(write=True) as cur:
        cur.execute("UPDATE projection_positions SET position = 4 WHERE name = 'case_list'")
    with pytest.raises(PositionMoved):
        moving.step(moving.projections["case_list"])
    assert rows(services) == before


def test_waiting_for_a_position_not_yet_folded_times_out(services):
    populate(services, cases=1)
    assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=0.05) is False


def test_waiting_for_a_folded_position_returns_at_once(services):
    populate(services, cases=1)
    services.projections.catch_up()
    assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=0) is True


def test_the_worker_thread_keeps_the_list_current(services, worker):
    populate(services, cases=2)
    assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=10)


def test_the_case_list_shows_an_agency_only_what_it_may_see(services):
    populate(services, cases=3)
    services.projections.catch_up()
    page = services.case_listing.list(RequestContext(Actor("f", "FBI", "F", frozenset({"agent"})), "r"))
    assert page["items"] == []


def test_only_one_worker_leads_at_a_time(services):
    first = services.views_db.try_lead("pathways-projection-worker")
    try:
        assert services.views_db.try_lead("pathways-projection-worker") is None
    finally:
        first.release()


def test_a_standby_worker_takes_over_when_the_leader_lets_go(services):
    first = services.views_db.try_lead("pathways-projection-worker")
    first.release()
    second = services.views_db.try_lead("pathways-projection-worker")
    assert second is not None
    second.release()


def test_a_standby_runner_folds_nothing_while_another_leads(services):
    import threading

    populate(services, cases=1)
    lease = services.views_db.try_lead("pathways-projection-worker")
    stop = threading.Event()
    standby = threading.Thread(target=services.projections.run_forever, args=(stop, 0.01))
    standby.start()
    try:
        assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=0.5) is False
        lease.release()
        assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=10) is True
    finally:
        stop.set()
        standby.join(timeout=10)


def test_a_rebuild_while_a_worker_leads_resets_and_leaves_the_folding_to_it(services, worker):
    populate(services, cases=2)
    assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=10)
    before = rows(services)
    assert services.projections.rebuild("case_list") is None
    assert services.projections.wait_for("case_list", services.ledger.max_position(), timeout=10)
    assert rows(services) == before


def test_a_revoked_partner_no_longer_lists_the_case_even_before_the_worker_folds_the_revocation(services):
    inv = services.investigations.open(HSI, title="Secret op", threat_domain="cybercrime", summary=None).result
    services.investigations.share(HSI, inv["id"], agency="DEA", access_level="read", expected_version=None)
    services.projections.catch_up()
    services.investigations.revoke_share(HSI, inv["id"], agency="DEA", expected_version=None)
    dea = RequestContext(Actor("dan", "DEA", "Dan", frozenset({"agent"})), "r")
    assert services.case_listing.list(dea)["items"] == []


def test_the_worker_is_woken_by_the_ledgers_notification_on_postgres_and_polls_on_sqlite(services):
    channel = getattr(services.ledger.recorder, "channel_name", None)
    if services.settings.store == "sqlite":
        assert channel is None  # no notifications: the runner polls
        return
    services.views_db.wait_for_notification(channel, timeout=0)  # start listening
    populate(services, cases=1)
    assert services.views_db.wait_for_notification(channel, timeout=30) is True


def test_read_models_at_different_positions_each_reach_the_end_of_the_ledger(services):
    populate(services)
    services.projections.catch_up()
    with services.views_db.transaction(write=True) as cur:  # as `rebuild` leaves one, before it is folded again
        cur.execute("DELETE FROM case_list_shares")
        cur.execute("DELETE FROM case_list")
        cur.execute("UPDATE projection_positions SET position = 0 WHERE name = 'case_list'")

    services.projections.catch_up()

    head = services.ledger.max_position()
    assert set(services.projections.positions().values()) == {head}


def test_a_read_model_folded_apart_from_the_others_ends_with_the_rows_of_one_folded_with_them(services):
    populate(services)
    services.projections.catch_up()
    together = rows(services)
    with services.views_db.transaction(write=True) as cur:
        cur.execute("DELETE FROM case_list_shares")
        cur.execute("DELETE FROM case_list")
        cur.execute("UPDATE projection_positions SET position = 0 WHERE name = 'case_list'")

    services.projections.catch_up()

    assert rows(services) == together


def test_a_write_no_read_model_folds_still_moves_every_position_to_it(services):
    populate(services, cases=1)
    services.projections.catch_up()
    services.ledger.save(AreaIndex.start(id=uuid4(), cell="8a2a1072b59ffff", day="2031-03-10"))

    services.projections.catch_up()

    assert set(services.projections.positions().values()) == {services.ledger.max_position()}
