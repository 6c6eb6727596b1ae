"""Sharing a case with partner agencies, changing and revoking their access."""

import pytest

from domain.investigation import Investigation
from tests.domain.helpers import AGENT, only_event, opened_case, refused


def shared_case(**shares: str) -> Investigation:
    inv = opened_case()
    for agency, access in shares.items():
        inv.share(agency=agency, access=access, envelope=AGENT)
    inv.collect_events()
    return inv


@pytest.mark.parametrize("access", ["read", "contribute"])
def test_a_case_is_shared_with_an_agency_at_an_access_level(access):
    inv = shared_case()

    assert inv.share(agency="DEA", access=access, envelope=AGENT) is True

    event = only_event(inv)
    assert isinstance(event, Investigation.Shared)
    assert (event.agency, event.access) == ("DEA", access)
    assert inv.shares == {"DEA": access}


def test_an_agency_code_with_a_suffix_is_accepted():
    inv = shared_case()

    inv.share(agency="TCIU-EC", access="read", envelope=AGENT)

    assert inv.shares == {"TCIU-EC": "read"}


def test_a_case_cannot_be_shared_with_its_owning_agency():
    assert refused(lambda: shared_case().share(agency="HSI", access="read", envelope=AGENT)).field == "agency"


@pytest.mark.parametrize("agency", ["dea", "", "D E A", "1DEA", "DEA-", 7])
def test_a_malformed_agency_code_is_refused(agency):
    assert refused(lambda: shared_case().share(agency=agency, access="read", envelope=AGENT)).field == "agency"


@pytest.mark.parametrize("agency", ["DEA\n", "DEA\r\n", "DEA\n\n"])
def test_an_agency_code_followed_by_a_line_break_is_refused(agency):
    assert refused(lambda: shared_case().share(agency=agency, access="read", envelope=AGENT)).field == "agency"


@pytest.mark.parametrize("access", ["write", "owner", "", None])
def test_access_other_than_read_or_contribute_is_refused(access):
    assert refused(lambda: shared_case().share(agency="DEA", access=access, envelope=AGENT)).field == "access"


def test_sharing_again_with_the_same_access_changes_nothing():
    inv = shared_case(DEA="read")

    assert inv.share(agency="DEA", access="read", envelope=AGENT) is False
    assert inv.collect_events() == []


def test_sharing_again_with_another_access_changes_it():
    inv = shared_case(DEA="read")

    assert inv.share(agency="DEA", access="contribute", envelope=AGENT) is True

    assert only_event(inv).access == "contribute"
    assert inv.shares == {"DEA": "contribute"}


def test_revoking_a_share_removes_the_agencys_access():
    inv = shared_case(DEA="contribute", FBI="read")

    inv.revoke_share(agency="DEA", envelope=AGENT)

    event = only_event(inv)
    assert isinstance(event, Investigation.ShareRevoked)
    assert event.agency == "DEA"
    assert inv.shares == {"FBI": "read"}


def test_revoking_a_share_that_does_not_exist_is_refused():
    inv = shared_case(FBI="read")

    assert refused(lambda: inv.revoke_share(agency="DEA", envelope=AGENT)).field == "agency"
    assert inv.collect_events() == []


@pytest.mark.parametrize(
    ("agency", "access"), [("HSI", "owner"), ("DEA", "read"), ("FBI", "contribute"), ("CBP", None)]
)
def test_access_of_tells_what_an_agency_may_do_with_the_case(agency, access):
    assert shared_case(DEA="read", FBI="contribute").access_of(agency) == access


def test_an_agency_has_no_access_once_its_share_is_revoked():
    inv = shared_case(DEA="read")

    inv.revoke_share(agency="DEA", envelope=AGENT)

    assert inv.access_of("DEA") is None
