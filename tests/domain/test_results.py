"""An operation's results in their stored form: exact decimals, real currencies, whole counts, named subjects."""

import pytest

from domain.results import checked_results
from tests.domain.helpers import refused

SUBJECT = "6f1c2d3e-0000-4000-8000-000000000001"


def field_refused(results, subjects=frozenset()):
    return refused(lambda: checked_results(results, subjects)).field


def test_results_keep_every_part_in_its_stored_form():
    assert checked_results({
        "arrests": {"count": 3, "subject_ids": [SUBJECT]},
        "seizures": [{"kind": "currency", "amount": "12500.50", "currency": "usd"},
                     {"kind": "drugs", "substance": "Fentanyl", "grams": "850"},
                     {"kind": "weapons", "count": 2, "weapon_kind": "rifle"},
                     {"kind": "vehicles", "description": "white van"}],
        "victims": {"rescued": 2},
        "forfeiture": [{"asset": "house at 12 Elm St", "value": "350000", "currency": "USD", "path": "civil_judicial",
                        "notice_deadline": "2027-03-31"}],
    }, frozenset({SUBJECT})) == {
        "arrests": {"count": 3, "subject_ids": [SUBJECT]},
        "seizures": [{"kind": "currency", "amount": "12500.50", "currency": "USD"},
                     {"kind": "drugs", "substance": "fentanyl", "grams": "850"},
                     {"kind": "weapons", "count": 2, "weapon_kind": "rifle"},
                     {"kind": "vehicles", "count": 1, "description": "white van"}],
        "victims": {"rescued": 2, "identified": 0},
        "forfeiture": [{"asset": "house at 12 Elm St", "path": "civil_judicial", "value": "350000",
                        "currency": "USD", "notice_deadline": "2027-03-31"}],
    }


def test_no_results_are_stored_as_none_achieved():
    assert checked_results(None) == {}


@pytest.mark.parametrize("amount", [12500.5, "12,500.50", "1e400", "-5", "NaN", "0.0000001", ""])
def test_an_amount_that_is_not_a_non_negative_decimal_string_is_refused_naming_it(amount):
    assert field_refused({"seizures": [{"kind": "currency", "amount": amount, "currency": "USD"}]}) == \
        "results.seizures.0.amount"


@pytest.mark.parametrize("code", ["XYZ", "US", "", None, 840])
def test_an_unknown_currency_is_refused_naming_it(code):
    assert field_refused({"seizures": [{"kind": "currency", "amount": "1", "currency": code}]}) == \
        "results.seizures.0.currency"


@pytest.mark.parametrize("count", [-1, 1.5, True, "2"])
def test_a_count_that_is_not_a_whole_number_of_zero_or_more_is_refused_naming_it(count):
    assert field_refused({"victims": {"rescued": count}}) == "results.victims.rescued"


def test_an_arrest_of_someone_not_a_subject_of_the_case_is_refused_naming_them():
    assert field_refused({"arrests": {"subject_ids": [SUBJECT]}}) == "results.arrests.subject_ids.0"


def test_fewer_arrests_than_subjects_named_as_arrested_is_refused():
    assert field_refused({"arrests": {"count": 0, "subject_ids": [SUBJECT]}}, frozenset({SUBJECT})) == \
        "results.arrests.count"


def test_an_unknown_part_of_the_results_is_refused_naming_it():
    assert field_refused({"assets": []}) == "results.assets"


def test_a_forfeiture_without_a_known_path_is_refused_naming_it():
    assert field_refused({"forfeiture": [{"asset": "boat", "path": "informal"}]}) == "results.forfeiture.0.path"


def test_a_notice_deadline_that_is_not_a_date_is_refused_naming_it():
    assert field_refused({"forfeiture": [{"asset": "boat", "path": "administrative",
                                          "notice_deadline": "next month"}]}) == "results.forfeiture.0.notice_deadline"
