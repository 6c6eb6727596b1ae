"""Evidence and its chain of custody: an item logged into evidence, handed from custodian to custodian (a break in
the chain recorded with its discrepancies, never refused), and sent to a laboratory for its findings."""

from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import DomainError, StateConflict
from domain.evidence import EvidenceItem
from tests.domain.helpers import AGENT, COLLEAGUE, NOW, refused

SEIZED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # four hours before NOW
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ITEM = {"description": "Duffel bag with 12 vacuum-sealed bundles", "kind": "physical", "seized_at": SEIZED,
        "seized_from": "Trunk of a grey Tahoe", "seal_number": "HSI-S-0042", "quantity": 12,
        "custodian": "SA Moreno", "location": "Laredo field office, evidence room"}


def logged(**changes: Any) -> EvidenceItem:
    """An item of ITEM (with changes) in SA Moreno's custody; its Logged event collected."""
    item = EvidenceItem.log(id=uuid4(), investigation_id=uuid4(), operation_id=None, fields={**ITEM, **changes},
                            now=NOW, envelope=AGENT)
    item.collect_events()
    return item


def hand_over(**changes: Any) -> dict[str, Any]:
    """A hand-over from SA Moreno to the lab courier an hour after the seizure, the seal intact."""
    return {"from": "SA Moreno", "to": "Courier Ruiz", "at": SEIZED + timedelta(hours=1), "purpose": "lab",
            "seal_intact": True, "condition": "Bag closed, seal unbroken", "location": "DEA South Central Lab",
            **changes}


def kinds(found: list[dict[str, str]]) -> list[str]:
    return [d["kind"] for d in found]


def field_of_log_refused(**changes: Any) -> str | None:
    return refused(lambda: logged(**changes)).field


# Logging an item


def test_a_logged_item_is_held_by_its_first_custodian_since_its_seizure():
    item = logged()
    assert (item.custodian, item.location, item.held_since, item.released, item.owning_agency) == (
        "SA Moreno", "Laredo field office, evidence room", SEIZED, False, "HSI")


def test_a_digital_item_keeps_its_digest_in_lower_case():
    item = logged(kind="digital", quantity=None, sha256=f"  {DIGEST.upper()} ")
    assert item.item["sha256"] == DIGEST


def test_currency_is_kept_as_an_exact_amount_and_its_code():
    item = logged(kind="currency", quantity=None, amount="12500.10", currency="usd")
    assert (item.item["amount"], item.item["currency"]) == ("12500.10", "USD")


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_refused_naming_quantity(quantity):
    assert field_of_log_refused(quantity=quantity) == "quantity"


@pytest.mark.parametrize("digest", ["abc", DIGEST[:-1], DIGEST + "0", "g" * 64, 42])
def test_a_digest_that_is_not_64_hexadecimal_digits_is_refused_naming_sha256(digest):
    assert field_of_log_refused(kind="digital", quantity=None, sha256=digest) == "sha256"


def test_a_digest_on_an_item_that_is_not_digital_is_refused_naming_sha256():
    assert field_of_log_refused(sha256=DIGEST) == "sha256"


def test_currency_without_an_amount_is_refused_naming_amount():
    assert field_of_log_refused(kind="currency", quantity=None, currency="USD") == "amount"


def test_an_amount_on_an_item_that_is_not_currency_is_refused_naming_amount():
    assert field_of_log_refused(amount="100.00") == "amount"


def test_a_currency_code_on_an_item_that_is_not_currency_is_refused_naming_currency():
    assert field_of_log_refused(currency="USD") == "currency"


def test_a_seizure_more_than_five_minutes_ahead_is_refused_naming_seized_at():
    assert field_of_log_refused(seized_at=NOW + timedelta(minutes=6)) == "seized_at"


def test_an_item_logged_into_nobodys_custody_is_refused_naming_custodian():
    assert field_of_log_refused(custodian="  ") == "custodian"


# Transfers


def test_a_clean_transfer_has_no_discrepancies_and_moves_the_custodian():
    item = logged()
    found = item.transfer(fields=hand_over(), now=NOW, envelope=AGENT)
    assert found == []
    assert (item.custodian, item.location, item.held_since) == (
        "Courier Ruiz", "DEA South Central Lab", SEIZED + timedelta(hours=1))


def test_a_transfer_without_a_location_leaves_the_item_where_it_was():
    item = logged()
    item.transfer(fields=hand_over(location=None), now=NOW, envelope=AGENT)
    assert item.location == "Laredo field office, evidence room"


def test_a_transfer_from_someone_who_did_not_hold_the_item_is_flagged_not_from_custodian():
    found = logged().transfer(fields=hand_over(**{"from": "SA Ortiz"}), now=NOW, envelope=AGENT)
    assert kinds(found) == ["not_from_custodian"]
    assert "SA Ortiz" in found[0]["detail"] and "SA Moreno" in found[0]["detail"]


@pytest.mark.parametrize("written", ["sa moreno", "  SA   MORENO ", "Sa\tMoreno"])
def test_the_custodian_is_compared_ignoring_case_and_extra_spaces(written):
    assert logged().transfer(fields=hand_over(**{"from": written}), now=NOW, envelope=AGENT) == []


def test_a_transfer_with_a_broken_seal_is_flagged_seal_broken():
    found = logged().transfer(fields=hand_over(seal_intact=False), now=NOW, envelope=AGENT)
    assert kinds(found) == ["seal_broken"]


def test_a_transfer_dated_before_the_previous_one_is_flagged_out_of_order():
    item = logged()
    item.transfer(fields=hand_over(at=SEIZED + timedelta(hours=2)), now=NOW, envelope=AGENT)
    found = item.transfer(fields=hand_over(**{"from": "Courier Ruiz"}, to="Chemist Lee",
                                           at=SEIZED + timedelta(hours=1)), now=NOW, envelope=AGENT)
    assert kinds(found) == ["out_of_order"]
    assert item.held_since == SEIZED + timedelta(hours=2)  # the chain's latest time stands


def test_a_transfer_dated_before_the_seizure_is_flagged_out_of_order():
    found = logged().transfer(fields=hand_over(at=SEIZED - timedelta(minutes=1)), now=NOW, envelope=AGENT)
    assert kinds(found) == ["out_of_order"]


def test_a_transfer_at_the_very_time_of_the_seizure_is_in_order():
    assert logged().transfer(fields=hand_over(at=SEIZED), now=NOW, envelope=AGENT) == []


def test_a_transfer_after_the_item_was_released_is_flagged_after_release():
    item = logged()
    item.transfer(fields=hand_over(to="Owner J. Perez", purpose="release"), now=NOW, envelope=AGENT)
    found = item.transfer(fields=hand_over(**{"from": "Owner J. Perez"}, to="SA Moreno",
                                           at=SEIZED + timedelta(hours=2), purpose="storage"),
                          now=NOW, envelope=AGENT)
    assert (item.released, kinds(found)) == (True, ["after_release"])


def test_a_transfer_breaking_every_rule_lists_every_discrepancy():
    item = logged()
    item.transfer(fields=hand_over(to="Owner J. Perez", purpose="release"), now=NOW, envelope=AGENT)
    found = item.transfer(fields=hand_over(**{"from": "SA Ortiz"}, seal_intact=False, at=SEIZED), now=NOW,
                          envelope=AGENT)
    assert kinds(found) == ["not_from_custodian", "seal_broken", "out_of_order", "after_release"]


def test_a_transfer_with_discrepancies_is_recorded_not_refused():
    item = logged()
    found = item.transfer(fields=hand_over(**{"from": "SA Ortiz"}, seal_intact=False), now=NOW, envelope=COLLEAGUE)
    [event] = item.collect_events()
    assert isinstance(event, EvidenceItem.Transferred)
    assert (event.discrepancies, event.transfer["to"], item.custodian) == (found, "Courier Ruiz", "Courier Ruiz")
    assert item.transfers[0]["recorded_by"]["sub"] == "bob"


def test_the_chain_discrepancies_name_the_transfer_that_showed_each():
    item = logged()
    item.transfer(fields=hand_over(), now=NOW, envelope=AGENT)
    item.transfer(fields=hand_over(**{"from": "SA Ortiz"}, seal_intact=False), now=NOW, envelope=AGENT)
    assert [(d["kind"], d["transfer_version"]) for d in item.chain_discrepancies] == [
        ("not_from_custodian", 3), ("seal_broken", 3)]


@pytest.mark.parametrize(("changes", "field"), [
    ({"to": None}, "to"),
    ({"to": "   "}, "to"),
    ({"from": ""}, "from"),
    ({"purpose": "safekeeping"}, "purpose"),
    ({"purpose": None}, "purpose"),
    ({"seal_intact": "yes"}, "seal_intact"),
    ({"seal_intact": 1}, "seal_intact"),
    ({"seal_intact": None}, "seal_intact"),
    ({"at": NOW + timedelta(minutes=6)}, "at"),
])
def test_an_invalid_transfer_is_refused_naming_its_field_and_records_nothing(changes, field):
    item = logged()
    refusal = refused(lambda: item.transfer(fields=hand_over(**changes), now=NOW, envelope=AGENT))
    assert (refusal.field, item.collect_events(), item.custodian) == (field, [], "SA Moreno")


# Lab work


def requested(item: EvidenceItem, *, at: datetime = SEIZED + timedelta(hours=1)) -> str:
    request_id = uuid4()
    item.request_lab(request_id=request_id, fields={"lab": "DEA South Central Lab", "analysis": "Identify the "
                     "substance and its net weight", "requested_at": at}, now=NOW, envelope=AGENT)
    return str(request_id)


def report(item: EvidenceItem, request_id: Any, *, at: datetime = SEIZED + timedelta(hours=3)) -> None:
    item.report_lab(request_id=request_id, fields={"findings": "Methamphetamine, 11.8 kg net", "analyst": "Lee",
                                                   "reported_at": at}, now=NOW, envelope=AGENT)


def test_a_lab_request_waits_for_its_result():
    item = logged()
    request_id = requested(item)
    assert (item.lab_requests[request_id]["lab"], item.lab_requests[request_id]["result"]) == (
        "DEA South Central Lab", None)


def test_a_lab_result_is_kept_with_its_request():
    item = logged()
    request_id = requested(item)
    report(item, request_id)
    assert item.lab_requests[request_id]["result"] == {
        "findings": "Methamphetamine, 11.8 kg net", "analyst": "Lee", "reported_at": SEIZED + timedelta(hours=3)}


def test_a_lab_result_for_an_unknown_request_is_refused_naming_request_id():
    item = logged()
    requested(item)
    assert refused(lambda: report(item, uuid4())).field == "request_id"


def test_a_second_result_for_the_same_request_is_a_state_conflict():
    item = logged()
    request_id = requested(item)
    report(item, request_id)
    assert refused(lambda: report(item, request_id), StateConflict).field == "request_id"


def test_a_lab_result_dated_before_its_request_is_refused_naming_reported_at():
    item = logged()
    request_id = requested(item, at=SEIZED + timedelta(hours=2))
    refusal = refused(lambda: report(item, request_id, at=SEIZED + timedelta(hours=1)))
    assert (type(refusal), refusal.field) == (DomainError, "reported_at")


# Replay


def state(item: EvidenceItem) -> dict[str, Any]:
    return {k: v for k, v in vars(item).items() if k != "_pending_events"}


def test_replaying_an_items_events_rebuilds_the_same_item():
    item = EvidenceItem.log(id=uuid4(), investigation_id=uuid4(), operation_id=uuid4(), fields=ITEM, now=NOW,
                            envelope=AGENT)
    item.transfer(fields=hand_over(), now=NOW, envelope=AGENT)
    item.transfer(fields=hand_over(**{"from": "SA Ortiz"}, to="Chemist Lee", seal_intact=False,
                                   at=SEIZED), now=NOW, envelope=COLLEAGUE)
    request_id = requested(item)
    report(item, request_id)
    item.transfer(fields=hand_over(**{"from": "Chemist Lee"}, to="Owner J. Perez", purpose="release",
                                   at=SEIZED + timedelta(hours=3)), now=NOW, envelope=AGENT)

    rebuilt = reduce(lambda aggregate, event: event.mutate(aggregate), item.collect_events(), None)

    assert state(rebuilt) == state(item)
    assert (rebuilt.version, rebuilt.released, len(rebuilt.chain_discrepancies)) == (6, True, 3)
