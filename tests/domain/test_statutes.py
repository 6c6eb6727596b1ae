"""Proposed charges: citations typed any usual way come out in one shape; the catalogue supplies known elements."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.statutes import CATALOGUE, Statute, catalogued, citation, elements_of
from tests.domain.helpers import refused

MESSAGE = "must be a U.S. Code citation such as 8 U.S.C. 1324(a)(1)(A)(ii)"

canonical_citations = st.builds(
    lambda title, digits, letters, subsections: f"{title} U.S.C. {digits}{letters}{''.join(subsections)}",
    st.integers(1, 54),
    st.integers(1, 99999).map(str),
    st.sampled_from(["", "A", "a", "B"]),
    st.lists(st.from_regex(r"\([a-zA-Z0-9]{1,4}\)", fullmatch=True), max_size=5),
)


@pytest.mark.parametrize("typed", ["8 usc 1324(a)(1)(A)(ii)", "8 U.S.C. § 1324(a)(1)(A)(ii)",
                                   "8 U.S.C. §1324(a)(1)(A)(ii)", "  8 U.S.C. 1324(a)(1)(A)(ii) ",
                                   "8 USC 1324 (a)(1)(A)(ii)"])
def test_a_citation_typed_any_usual_way_is_stored_in_canonical_form(typed):
    assert citation(typed, "statute") == "8 U.S.C. 1324(a)(1)(A)(ii)"


def test_a_citation_without_periods_gains_them():
    assert citation("21 USC 841(a)(1)", "statute") == "21 U.S.C. 841(a)(1)"


@pytest.mark.parametrize("section", ["1956", "2252A", "1028A", "1324a"])
def test_a_section_keeps_the_letters_that_follow_its_number_as_written(section):
    assert citation(f"18 usc {section}", "statute") == f"18 U.S.C. {section}"


@given(canonical_citations)
def test_any_canonical_citation_normalises_to_itself(canonical):
    assert citation(canonical, "statute") == canonical


SPELLINGS = ["U.S.C.", "USC", "usc", "U. S. C.", "U.S.C. \u00a7", "U.S.C. \u00a7\u00a7", "u.s.c.\u00a7"]


@given(canonical_citations, st.sampled_from(SPELLINGS))
def test_a_canonical_citation_spelt_another_usual_way_normalises_to_the_canonical(canonical, spelling):
    assert citation(canonical.replace("U.S.C.", spelling), "statute") == canonical


@pytest.mark.parametrize("typed", [None, 8, "", "hello", "8 U.S.C.", "USC 1324", "8 U.S.C. 1324((a)",
                                   "8 U.S.C. 1324(a", "0 U.S.C. 1324", "55 U.S.C. 101", "8 U.S.C. 0132",
                                   "8 U.S.C. 1324(a) and more", "\uff18 U.S.C. 1324", "8 U.S.C. 1324" + "(a)" * 40])
def test_anything_but_a_us_code_citation_is_refused_naming_the_field(typed):
    error = refused(lambda: citation(typed, "charges.0.statute"))
    assert (error.message, error.field) == (MESSAGE, "charges.0.statute")


def test_the_catalogue_holds_the_statutes_our_cases_charge_most():
    assert {statute.citation for statute in CATALOGUE} >= {
        "8 U.S.C. 1324", "18 U.S.C. 1591", "21 U.S.C. 841", "21 U.S.C. 846", "18 U.S.C. 1956"}


def test_every_catalogued_statute_has_a_canonical_citation_a_title_and_three_to_five_elements():
    assert all(citation(s.citation, "citation") == s.citation and s.title and 3 <= len(s.elements) <= 5
               for s in CATALOGUE)


def test_a_charge_under_a_subsection_is_matched_to_its_section_in_the_catalogue():
    statute = catalogued("21 U.S.C. 841(a)(1)")
    assert isinstance(statute, Statute) and statute.citation == "21 U.S.C. 841"


def test_a_section_of_the_same_number_in_another_title_is_not_matched():
    assert catalogued("18 U.S.C. 841") is None


def test_a_section_whose_number_only_starts_like_a_catalogued_one_is_not_matched():
    assert catalogued("8 U.S.C. 1324a") is None


def test_a_catalogued_charge_without_elements_takes_the_catalogues():
    assert elements_of("18 U.S.C. 1956(a)(1)", None, "elements") == list(catalogued("18 U.S.C. 1956").elements)


def test_an_empty_list_of_elements_counts_as_none_given():
    assert elements_of("8 U.S.C. 1324(a)(1)(A)(ii)", [], "elements") == list(catalogued("8 U.S.C. 1324").elements)


def test_a_charge_outside_the_catalogue_without_elements_is_refused_naming_the_field():
    error = refused(lambda: elements_of("18 U.S.C. 2252A", None, "charges.0.elements"))
    assert error.field == "charges.0.elements" and "not in the catalogue" in error.message


def test_elements_typed_in_are_kept_trimmed_in_their_order():
    assert elements_of("18 U.S.C. 2252A", [" The defendant knowingly received an image. ", "It was shipped."],
                       "elements") == ["The defendant knowingly received an image.", "It was shipped."]


def test_elements_typed_in_replace_the_catalogues():
    assert elements_of("21 U.S.C. 841(a)(1)", ["The defendant possessed fentanyl."], "elements") == \
        ["The defendant possessed fentanyl."]


@pytest.mark.parametrize("element", ["", "   ", 7, None, "x" * 501])
def test_an_element_that_is_not_short_non_empty_text_is_refused_naming_it(element):
    assert refused(lambda: elements_of("18 U.S.C. 2252A", ["fine", element], "elements")).field == "elements.1"


@pytest.mark.parametrize("elements", ["The defendant did it.", {"0": "x"}, ["x"] * 21])
def test_elements_that_are_not_a_list_of_at_most_twenty_are_refused_naming_the_field(elements):
    assert refused(lambda: elements_of("18 U.S.C. 2252A", elements, "elements")).field == "elements"
