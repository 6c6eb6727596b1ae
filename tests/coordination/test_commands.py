"""The command runner's guarantees, through the investigation use cases, on both stores."""

from __future__ import annotations

import threading

import pytest

from coordination.context import Idempotency, RequestContext
from coordination.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    Invalid,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from domain.envelope import Actor


def ctx(sub: str = "alice", agency: str = "HSI", roles: tuple[str, ...] = ("agent",), key: str | None = None,
        digest: str = "d1") -> RequestContext:
    idem = Idempotency(key, digest) if key else None
    return RequestContext(Actor(sub, agency, sub.title(), frozenset(roles)), request_id="req-1", idempotency=idem)


def open_case(services, context: RequestContext | None = None) -> dict:
    outcome = services.investigations.open(context or ctx(), title="Route 9", threat_domain="human_smuggling",
                                           summary=None)
    return outcome.result


def log(services, inv_id, context=None, expected_version=None):
    return services.investigations.log_action(
        context or ctx(), inv_id, kind="interview", summary="met the source", occurred_at=None, location=None,
        expected_version=expected_version,
    )


def event_count(services, inv_id) -> int:
    return len(services.ledger.recorder.select_events(inv_id))


def test_an_opened_case_gets_the_next_case_number_of_its_agency_and_year(services):
    first, second = open_case(services), open_case(services)
    assert first["case_number"].startswith("HSI-") and first["case_number"].endswith("-00001")
    assert second["case_number"].endswith("-00002")


def test_case_numbers_count_separately_per_agency(services):
    open_case(services)
    dea = open_case(services, ctx("dan", "DEA"))
    assert dea["case_number"].startswith("DEA-") and dea["case_number"].endswith("-00001")


def test_a_write_reports_the_log_position_it_reached(services):
    inv = open_case(services)
    outcome = log(services, inv["id"])
    assert outcome.position == services.ledger.max_position()


def test_the_same_idempotency_key_twice_stores_one_event_and_answers_the_same(services):
    inv = open_case(services)
    first = log(services, inv["id"], ctx(key="k-1"))
    second = log(services, inv["id"], ctx(key="k-1"))
    assert second.replayed and second.result == first.result
    assert event_count(services, inv["id"]) == 2


def test_an_idempotency_key_reused_for_another_request_is_refused(services):
    inv = open_case(services)
    log(services, inv["id"], ctx(key="k-1", digest="first"))
    with pytest.raises(IdempotencyKeyReused):
        log(services, inv["id"], ctx(key="k-1", digest="second"))


def test_idempotency_keys_of_two_agencies_do_not_collide(services):
    hsi = open_case(services, ctx(key="same"))
    dea = open_case(services, ctx("dan", "DEA", key="same"))
    assert hsi["id"] != dea["id"]


def test_an_idempotent_open_retried_creates_one_case(services):
    first = services.investigations.open(ctx(key="open-1"), title="T", threat_domain="cybercrime", summary=None)
    again = services.investigations.open(ctx(key="open-1"), title="T", threat_domain="cybercrime", summary=None)
    assert again.result["id"] == first.result["id"]
    assert open_case(services)["case_number"].endswith("-00002")


def test_a_stale_expected_version_is_refused(services):
    inv = open_case(services)
    log(services, inv["id"])
    with pytest.raises(PreconditionFailed):
        log(services, inv["id"], expected_version=1)


def test_the_current_expected_version_is_accepted(services):
    inv = open_case(services)
    assert log(services, inv["id"], expected_version=1).result["version"] == 2


def test_a_status_change_without_an_expected_version_is_refused(services):
    inv = open_case(services)
    with pytest.raises(PreconditionRequired):
        services.investigations.change_status(ctx(roles=("supervisor",)), inv["id"], status="active", reason="ok",
                                              merged_into=None, expected_version=None)


def test_a_rule_broken_in_the_domain_becomes_invalid_with_its_field(services):
    inv = open_case(services)
    with pytest.raises(Invalid) as caught:
        services.investigations.log_action(ctx(), inv["id"], kind="interview", summary="   ", occurred_at=None,
                                           location=None, expected_version=None)
    assert caught.value.field == "summary"


def test_a_closed_case_refuses_new_actions_as_a_conflict(services):
    inv = open_case(services)
    services.investigations.change_status(ctx(roles=("supervisor",)), inv["id"], status="closed", reason="done",
                                          merged_into=None, expected_version=1)
    with pytest.raises(Conflict):
        log(services, inv["id"])


def test_another_agencys_case_is_not_found(services):
    inv = open_case(services)
    with pytest.raises(NotFound):
        log(services, inv["id"], ctx("dan", "DEA"))


def test_a_read_share_does_not_allow_adding_actions(services):
    inv = open_case(services)
    services.investigations.share(ctx(), inv["id"], agency="DEA", access_level="read", expected_version=None)
    with pytest.raises(Forbidden):
        log(services, inv["id"], ctx("dan", "DEA"))


def test_a_contribute_share_allows_adding_actions(services):
    inv = open_case(services)
    services.investigations.share(ctx(), inv["id"], agency="CBP", access_level="contribute", expected_version=None)
    assert log(services, inv["id"], ctx("carl", "CBP")).result["version"] == 3


def test_merging_into_a_case_of_another_agency_is_not_found(services):
    inv = open_case(services)
    other = open_case(services, ctx("dan", "DEA"))
    with pytest.raises(NotFound):
        services.investigations.change_status(ctx(roles=("supervisor",)), inv["id"], status="merged", reason="dup",
                                              merged_into=other["id"], expected_version=1)


def test_eight_threads_appending_to_one_case_store_every_append_once(services):
    inv = open_case(services)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(5):
                log(services, inv["id"], ctx(key=f"t{n}-{i}"))
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert event_count(services, inv["id"]) == 1 + 8 * 5


def test_openings_racing_from_eight_threads_get_distinct_case_numbers(services):
    numbers: list[str] = []

    def open_one() -> None:
        numbers.append(open_case(services)["case_number"])

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 9))


def test_a_long_case_is_snapshotted_and_still_loads_its_latest_version(services):
    inv = open_case(services)
    for _ in range(205):
        log(services, inv["id"])
    snapshots = list(services.ledger.snapshots.get(inv["id"]))
    assert [s.originator_version for s in snapshots] == [200]
    assert services.investigations.get(ctx(), inv["id"]).result["version"] == 206


def test_an_idempotency_key_replayed_by_another_user_of_the_agency_is_refused(services):
    inv = open_case(services)
    log(services, inv["id"], ctx(key="k-1"))
    with pytest.raises(IdempotencyKeyReused):
        log(services, inv["id"], ctx("bob", key="k-1"))


def test_appends_sent_with_if_match_star_are_retried_like_appends_without_it(services):
    from coordination.commands import ANY_VERSION

    inv = open_case(services)
    errors: list[BaseException] = []

    def append() -> None:
        try:
            for _ in range(5):
                log(services, inv["id"], expected_version=ANY_VERSION)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=append) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and event_count(services, inv["id"]) == 1 + 8 * 5
