"""Discovery productions: a logged Bates range with its page count, and overlaps a prosecutor must see."""

from datetime import date
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.discovery import checked_production, overlaps
from tests.domain.helpers import refused

TODAY = date(2026, 3, 1)
RECORD = "6f1c2d3e-0000-4000-8000-000000000001"
PRODUCTION = {"description": "Body-camera video and stop report", "produced_to": "Defense counsel for J. Perez",
              "produced_at": "2026-02-27", "bates_start": "HSI-000101", "bates_end": "HSI-000150"}


def field_refused(**changes):
    return refused(lambda: checked_production({**PRODUCTION, **changes}, TODAY)).field


def production(start, end):
    return checked_production({**PRODUCTION, "bates_start": start, "bates_end": end}, TODAY)


def test_a_production_is_stored_with_the_pages_its_bates_range_covers():
    assert checked_production({**PRODUCTION, "record_ids": [RECORD]}, TODAY) == {
        "description": "Body-camera video and stop report", "produced_to": "Defense counsel for J. Perez",
        "produced_at": "2026-02-27", "bates_start": "HSI-000101", "bates_end": "HSI-000150", "pages": 50,
        "record_ids": [RECORD],
    }


def test_a_production_of_one_page_starts_and_ends_on_the_same_number():
    assert production("HSI-000007", "HSI-000007")["pages"] == 1


@given(st.integers(0, 10**10 - 1), st.integers(0, 10**10 - 1))
def test_the_pages_are_the_count_of_numbers_from_start_to_end(a, b):
    start, end = sorted((a, b))
    assert production(f"DEA_{start}", f"DEA_{end}")["pages"] == end - start + 1


def test_a_prefix_may_hold_digits_so_long_as_it_ends_in_a_letter_hyphen_or_underscore():
    assert production("USAO2026-PEREZ_0001", "USAO2026-PEREZ_0009")["pages"] == 9


def test_a_bates_number_typed_in_lower_case_is_stored_in_upper_case():
    assert production(" hsi-000101", "hsi-000102")["bates_start"] == "HSI-000101"


def test_no_record_ids_are_stored_as_an_empty_list():
    assert checked_production(PRODUCTION, TODAY)["record_ids"] == []


def test_record_ids_are_normalised_and_kept_once_in_their_order():
    other = "6f1c2d3e-0000-4000-8000-000000000002"
    assert checked_production({**PRODUCTION, "record_ids": [RECORD.upper(), other, "{" + RECORD + "}"]},
                              TODAY)["record_ids"] == [RECORD, other]


@pytest.mark.parametrize("stamp", ["000123", "HSI-", "HSI-12345678901", "HSI 000123", "HSI-000123A",
                                   "HSI-\u0661\u0662", "hs\u0131-000123", 123, None, ""])
def test_a_start_that_is_not_a_bates_number_is_refused_naming_it(stamp):
    assert field_refused(bates_start=stamp) == "bates_start"


def test_an_end_with_another_prefix_than_the_start_is_refused_naming_the_end():
    assert field_refused(bates_end="DEA-000150") == "bates_end"


def test_an_end_before_the_start_is_refused_naming_the_end():
    assert field_refused(bates_end="HSI-000100") == "bates_end"


def test_a_production_dated_in_the_future_is_refused_naming_the_date():
    assert field_refused(produced_at="2026-03-02") == "produced_at"


@pytest.mark.parametrize("produced_at", [None, "last week", "2026-02-30", 20260227])
def test_a_production_without_a_real_date_is_refused_naming_the_date(produced_at):
    assert field_refused(produced_at=produced_at) == "produced_at"


@pytest.mark.parametrize(("field", "value"), [("description", ""), ("description", "x" * 2001),
                                              ("produced_to", None), ("produced_to", "x" * 301)])
def test_a_description_or_recipient_that_is_not_short_non_empty_text_is_refused_naming_it(field, value):
    assert field_refused(**{field: value}) == field


@pytest.mark.parametrize(("record_ids", "field"), [(RECORD, "record_ids"), ([RECORD] * 501, "record_ids"),
                                                   ([RECORD, "not-a-uuid"], "record_ids.1"), ([42], "record_ids.0")])
def test_record_ids_that_are_not_a_list_of_uuids_are_refused_naming_the_one_at_fault(record_ids, field):
    assert field_refused(record_ids=record_ids) == field


def test_an_unknown_field_is_refused_naming_it():
    assert field_refused(pages=50) == "pages"


def test_a_production_that_is_not_an_object_is_refused():
    assert refused(lambda: checked_production("HSI-000101", TODAY)).message == "must be an object"


def test_a_production_reusing_numbers_already_produced_overlaps_the_first():
    assert overlaps(production("HSI-000101", "HSI-000150"), production("HSI-000150", "HSI-000170"))


def test_consecutive_productions_do_not_overlap():
    assert not overlaps(production("HSI-000101", "HSI-000150"), production("HSI-000151", "HSI-000170"))


def test_productions_under_different_prefixes_do_not_overlap():
    assert not overlaps(production("HSI-000101", "HSI-000150"), production("DEA-000101", "DEA-000150"))


def test_the_same_number_padded_differently_is_the_same_page():
    assert overlaps(production("HSI-000101", "HSI-000150"), production("HSI-0150", "HSI-0160"))


@given(*[st.integers(0, 50)] * 4)
def test_two_productions_overlap_exactly_when_they_share_a_page(a, b, c, d):
    first = production(f"HSI-{min(a, b)}", f"HSI-{max(a, b)}")
    second = production(f"HSI-{min(c, d)}", f"HSI-{max(c, d)}")
    shared = set(range(min(a, b), max(a, b) + 1)) & set(range(min(c, d), max(c, d) + 1))
    assert overlaps(first, second) == overlaps(second, first) == bool(shared)


def test_a_record_id_written_without_hyphens_is_stored_with_them():
    assert checked_production({**PRODUCTION, "record_ids": [UUID(RECORD).hex]}, TODAY)["record_ids"] == [RECORD]
