"""Resources and requests for them: who registers, who answers, what a request may ask."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.errors import DomainError, NotPermitted, StateConflict
from domain.resource import Resource, ResourceRequest, overlaps
from tests.domain.helpers import AGENT, PARTNER, envelope, refused
from tests.domain.test_operation_lifecycle import planned

COORDINATOR = envelope("cora", "OCG", "coordinator")
NINE, TEN, ELEVEN = (datetime(2031, 3, 10, h, tzinfo=UTC) for h in (9, 10, 11))


def k9(agency: str = "DEA", by=PARTNER) -> Resource:
    return Resource.register(id=uuid4(), kind="k9", name="Rex", agency=agency, envelope=by)


def asked(resource: Resource | None = None) -> ResourceRequest:
    return ResourceRequest.of_resource(id=uuid4(), operation=planned(), resource=resource or k9(), envelope=AGENT)


def test_an_agency_registers_its_own_resource():
    assert (k9().owning_agency, k9().kind) == ("DEA", "k9")


def test_an_agency_may_not_register_anothers_resource():
    assert refused(lambda: k9(agency="CBP"), NotPermitted)


def test_a_coordinator_registers_any_agencys_resource():
    assert k9(agency="CBP", by=COORDINATOR).owning_agency == "CBP"


def test_an_unknown_kind_of_resource_is_refused_naming_kind():
    refusal = refused(lambda: Resource.register(id=uuid4(), kind="tank", name="T", agency="DEA", envelope=PARTNER))
    assert refusal.field == "kind"


def test_every_agency_sees_the_register_and_only_the_owner_owns_a_resource():
    assert (k9().access_of("DEA"), k9().access_of("FBI")) == ("owner", "read")


def test_a_request_is_answered_by_the_resources_agency():
    request = asked()
    request.commit(note="Rex and handler", clashes=[], envelope=PARTNER)
    assert (request.status, request.answer["by"]["agency"]) == ("committed", "DEA")


def test_the_requesting_agency_may_not_answer_its_own_request_for_anothers_resource():
    assert refused(lambda: asked().commit(note=None, clashes=[], envelope=AGENT), NotPermitted)


def test_a_coordinator_answers_any_request():
    request = asked()
    request.decline(reason="Rex is on leave", envelope=COORDINATOR)
    assert request.status == "declined"


def test_a_clash_refuses_the_commitment_naming_it():
    clash = {"agency": "HSI", "deconfliction_number": "DX31-0000-0001"}
    refusal = refused(lambda: asked().commit(note=None, clashes=[clash], envelope=PARTNER), StateConflict)
    assert refusal.extensions == {"commitments": [clash]}


def test_a_request_is_answered_once():
    request = asked()
    request.commit(note=None, clashes=[], envelope=PARTNER)
    assert refused(lambda: request.decline(reason="changed our mind", envelope=PARTNER), StateConflict)


@pytest.mark.parametrize("count", [0, -1, 1001, 2.5, True, "3"])
def test_a_head_count_outside_one_to_a_thousand_is_refused_naming_count(count):
    refusal = refused(lambda: ResourceRequest.of_personnel(id=uuid4(), operation=planned(), agency="CBP",
                                                           count=count, envelope=AGENT), DomainError)
    assert refusal.field == "count"


def test_a_cancelled_operation_requests_nothing():
    op = planned()
    op.cancel(reason="called off", envelope=AGENT)
    assert refused(lambda: ResourceRequest.of_personnel(id=uuid4(), operation=op, agency="CBP", count=2,
                                                        envelope=AGENT), StateConflict)


def test_windows_that_share_time_overlap_and_windows_that_touch_do_not():
    assert (overlaps(NINE, ELEVEN, TEN, ELEVEN), overlaps(NINE, TEN, TEN, ELEVEN)) == (True, False)
