"""Witnesses: stored with every field present, and impeachable when the defence must be told something."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.witnesses import GIGLIO_FLAGS, IMMUNITY, WITNESS_KINDS, checked_witness, impeachable
from tests.domain.helpers import refused

OFFICER = {"name": "SA Dana Ruiz", "kind": "law_enforcement", "agency": "HSI",
           "anticipated_testimony": "Conducted the traffic stop and found 14 people in the trailer."}
CIVILIAN = {"name": "M. Ortega", "kind": "civilian", "anticipated_testimony": "Was transported from Laredo."}


def field_refused(witness):
    return refused(lambda: checked_witness(witness)).field


def test_a_witness_is_stored_with_every_field_present():
    assert checked_witness(CIVILIAN) == {
        "name": "M. Ortega", "kind": "civilian", "agency": None,
        "anticipated_testimony": "Was transported from Laredo.",
        "promises": [], "immunity": "none", "giglio_flags": [], "giglio_note": "",
    }


def test_a_cooperator_keeps_their_promises_immunity_and_giglio_review():
    assert checked_witness({
        "name": " J. Perez ", "kind": "cooperator", "anticipated_testimony": "Drove the load vehicle twice.",
        "promises": [" A 5K1.1 motion if substantial assistance "], "immunity": "use",
        "giglio_flags": ["cooperation_agreement", "prior_conviction"], "giglio_note": "2019 felony, illegal reentry",
    }) == {
        "name": "J. Perez", "kind": "cooperator", "agency": None,
        "anticipated_testimony": "Drove the load vehicle twice.",
        "promises": ["A 5K1.1 motion if substantial assistance"], "immunity": "use",
        "giglio_flags": ["cooperation_agreement", "prior_conviction"], "giglio_note": "2019 felony, illegal reentry",
    }


def test_an_officer_keeps_their_agency():
    assert checked_witness(OFFICER)["agency"] == "HSI"


def test_an_officer_without_an_agency_is_refused_naming_it():
    assert field_refused({**OFFICER, "agency": None}) == "agency"


def test_an_agency_that_is_not_an_agency_code_is_refused_naming_it():
    assert field_refused({**CIVILIAN, "agency": "homeland security"}) == "agency"


@pytest.mark.parametrize("kind", [None, "victim", "LAW_ENFORCEMENT"])
def test_a_kind_outside_the_vocabulary_is_refused_naming_it(kind):
    assert field_refused({**CIVILIAN, "kind": kind}) == "kind"


@pytest.mark.parametrize("name", [None, "", "  ", "x" * 201, 42])
def test_a_name_that_is_not_short_non_empty_text_is_refused_naming_it(name):
    assert field_refused({**CIVILIAN, "name": name}) == "name"


@pytest.mark.parametrize("testimony", [None, "", "x" * 5001])
def test_anticipated_testimony_is_required_text_of_at_most_5000_characters(testimony):
    assert field_refused({**CIVILIAN, "anticipated_testimony": testimony}) == "anticipated_testimony"


@pytest.mark.parametrize(("promises", "field"), [("no charges", "promises"), (["x"] * 21, "promises"),
                                                 (["ok", ""], "promises.1"), (["x" * 1001], "promises.0")])
def test_promises_that_are_not_a_short_list_of_texts_are_refused_naming_the_one_at_fault(promises, field):
    assert field_refused({**CIVILIAN, "promises": promises}) == field


@pytest.mark.parametrize("immunity", ["full", "", "USE"])
def test_immunity_outside_the_vocabulary_is_refused_naming_it(immunity):
    assert field_refused({**CIVILIAN, "immunity": immunity}) == "immunity"


def test_a_giglio_flag_outside_the_vocabulary_is_refused_naming_it():
    assert field_refused({**CIVILIAN, "giglio_flags": ["bias", "liar"]}) == "giglio_flags.1"


def test_giglio_flags_that_are_not_a_list_are_refused_naming_them():
    assert field_refused({**CIVILIAN, "giglio_flags": "bias"}) == "giglio_flags"


@given(st.lists(st.sampled_from(GIGLIO_FLAGS), max_size=20))
def test_repeated_giglio_flags_are_kept_once_in_the_order_first_given(flags):
    assert checked_witness({**CIVILIAN, "giglio_flags": flags})["giglio_flags"] == list(dict.fromkeys(flags))


def test_a_giglio_note_longer_than_2000_characters_is_refused_naming_it():
    assert field_refused({**CIVILIAN, "giglio_note": "x" * 2001}) == "giglio_note"


def test_an_unknown_field_is_refused_naming_it():
    assert field_refused({**CIVILIAN, "phone": "555-0100"}) == "phone"


def test_a_witness_that_is_not_an_object_is_refused():
    assert refused(lambda: checked_witness(["M. Ortega"])).message == "must be an object"


def test_a_witness_with_nothing_to_disclose_is_not_impeachable():
    assert not impeachable(checked_witness(OFFICER))


@pytest.mark.parametrize("disclosure", [{"giglio_flags": ["pending_charges"]}, {"promises": ["T visa support"]},
                                        {"immunity": "informal"}])
def test_a_witness_with_a_flag_a_promise_or_immunity_is_impeachable(disclosure):
    assert impeachable(checked_witness({**CIVILIAN, **disclosure}))


def test_a_giglio_note_alone_does_not_make_a_witness_impeachable():
    assert not impeachable(checked_witness({**CIVILIAN, "giglio_note": "Reviewed; nothing found."}))


@pytest.mark.parametrize("kind", [k for k in WITNESS_KINDS if k != "law_enforcement"])
def test_a_witness_who_is_not_an_officer_may_have_no_agency(kind):
    assert checked_witness({**CIVILIAN, "kind": kind})["agency"] is None


@pytest.mark.parametrize("immunity", IMMUNITY)
def test_every_kind_of_immunity_is_kept(immunity):
    assert checked_witness({**CIVILIAN, "immunity": immunity})["immunity"] == immunity
