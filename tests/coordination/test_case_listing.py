"""Listing cases with read-your-writes: wait for the read model, bounded, and only for positions that exist."""

from __future__ import annotations

import pytest

from coordination.context import RequestContext
from coordination.errors import Forbidden, Invalid, NotYetVisible
from domain.envelope import Actor

HSI = RequestContext(Actor("alice", "HSI", "Alice", frozenset({"agent"})), "r")


def open_case(services) -> int:
    services.investigations.open(HSI, title="T", threat_domain="cybercrime", summary=None)
    return services.ledger.max_position()


def test_a_position_the_read_model_has_not_reached_in_time_is_not_yet_visible(services, monkeypatch):
    position = open_case(services)  # no worker runs: the case list stays behind
    monkeypatch.setattr(services.case_listing, "read_wait_max", 0.05)
    with pytest.raises(NotYetVisible):
        services.case_listing.list(HSI, min_position=position)


def test_a_position_no_write_has_reached_is_invalid(services):
    position = open_case(services)
    with pytest.raises(Invalid) as caught:
        services.case_listing.list(HSI, min_position=position + 1)
    assert caught.value.field == "min_position"


def test_a_reached_position_shows_the_callers_own_write(services, worker):
    position = open_case(services)
    items = services.case_listing.list(HSI, min_position=position)["items"]
    assert [i["case_number"].rsplit("-", 1)[1] for i in items] == ["00001"]


def test_listing_needs_a_reading_role(services):
    with pytest.raises(Forbidden):
        services.case_listing.list(RequestContext(Actor("p", "HSI", "P", frozenset({"prosecutor"})), "r"))
