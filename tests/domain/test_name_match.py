import pytest

from domain.name_match import POSSIBLE_MATCH_THRESHOLD, fold_name, name_similarity

# --- folding -------------------------------------------------------------------


def test_a_folded_name_is_upper_cased():
    assert fold_name("john smith") == "JOHN SMITH"


def test_accents_are_stripped_when_folding():
    assert fold_name("José García") == "JOSE GARCIA"


def test_a_non_latin_name_is_transliterated_when_folding():
    assert fold_name("Иван Петров") == "IVAN PETROV"


def test_apostrophes_and_dots_are_dropped_and_hyphens_kept_when_folding():
    assert fold_name("Seán O\u2019Brien-Smith, Jr.") == "SEAN OBRIEN-SMITH JR"


def test_any_whitespace_between_names_folds_to_one_space():
    assert fold_name(" Maria\t\u00a0Lopez \n") == "MARIA LOPEZ"


def test_a_name_of_only_punctuation_folds_to_nothing():
    assert fold_name("'.,") == ""


# --- similarity ----------------------------------------------------------------


def test_the_same_name_written_with_accents_and_other_case_is_identical():
    assert name_similarity("jose garcia", "José GARCÍA") == 100.0


def test_the_order_of_the_words_does_not_matter():
    assert name_similarity("Garcia Jose Luis", "Jose Luis Garcia") == 100.0


def test_an_abbreviated_middle_name_is_a_possible_match():
    assert name_similarity("Jose Luis Garcia", "José L. García") >= POSSIBLE_MATCH_THRESHOLD


def test_a_transliteration_variant_is_a_possible_match():
    assert name_similarity("Mohammed Ali", "Muhammad Ali") >= POSSIBLE_MATCH_THRESHOLD


def test_a_dropped_middle_name_is_a_possible_match():
    assert name_similarity("Jose Luis Garcia", "Jose Garcia") >= POSSIBLE_MATCH_THRESHOLD


def test_a_name_in_another_script_is_a_possible_match_for_its_latin_spelling():
    assert name_similarity("Κώστας Παπαδόπουλος", "Kostas Papadopoulos") >= POSSIBLE_MATCH_THRESHOLD


@pytest.mark.parametrize("other", ["Jose Luis Garcia", "José L. García"])
def test_an_unrelated_name_is_not_a_possible_match(other):
    assert name_similarity(other, "Maria Lopez") < POSSIBLE_MATCH_THRESHOLD


def test_another_person_sharing_only_a_surname_is_not_a_possible_match():
    assert name_similarity("Juan Perez", "Pedro Perez") < POSSIBLE_MATCH_THRESHOLD


def test_a_name_that_folds_to_nothing_matches_nothing():
    assert name_similarity("'.,", "'.,") == 0.0


def test_similarity_is_the_same_both_ways():
    a, b = "Jose Luis Garcia", "José L. García"
    assert name_similarity(a, b) == name_similarity(b, a)
