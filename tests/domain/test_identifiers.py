from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.identifiers import COUNTRY_REQUIRED, IDENTIFIER_TYPES, normalise_identifier
from domain.name_match import fold_name


def value_of(type_, value, country=None, date_of_birth=None):
    return normalise_identifier(type_, value, country, date_of_birth)["value"]


def error_field(type_, value, country=None, date_of_birth=None):
    with pytest.raises(DomainError) as caught:
        normalise_identifier(type_, value, country, date_of_birth)
    return caught.value.field


# --- catalogue -------------------------------------------------------------


def test_all_fourteen_identifier_types_are_listed():
    assert set(IDENTIFIER_TYPES) == {
        "name_dob", "phone", "email", "passport", "vehicle_plate", "vin",
        "address", "bank_account", "iban", "crypto_wallet", "vessel_imo",
        "aircraft_tail", "weapon_serial", "company_registration",
    }
    assert len(IDENTIFIER_TYPES) == 14


def test_passport_plate_and_company_registration_require_a_country():
    assert COUNTRY_REQUIRED == {"passport", "vehicle_plate", "company_registration"}


def test_the_result_carries_type_value_and_country():
    assert normalise_identifier("passport", "ab 12345", "gb") == {
        "type": "passport", "value": "AB12345", "country": "GB",
    }


# --- common rules ----------------------------------------------------------


def test_an_unknown_type_is_rejected_on_the_type_field():
    assert error_field("shoe_size", "42") == "type"


def test_the_unknown_type_error_lists_the_allowed_types():
    with pytest.raises(DomainError) as caught:
        normalise_identifier("shoe_size", "42")
    assert "vessel_imo" in caught.value.message


def test_an_empty_value_is_rejected_on_the_value_field():
    assert error_field("email", "") == "value"


def test_a_whitespace_only_value_is_rejected_on_the_value_field():
    assert error_field("weapon_serial", "   \t\n ") == "value"


def test_a_value_longer_than_200_characters_is_rejected():
    assert error_field("company_registration", "A" * 201, "GB") == "value"


def test_a_non_text_value_is_rejected_on_the_value_field():
    assert error_field("phone", 447700900123) == "value"


def test_surrounding_and_repeated_whitespace_is_collapsed():
    assert value_of("address", "  1   High \t Street  ") == "1 HIGH ST"


# --- country -----------------------------------------------------------------


def test_a_country_is_upper_cased():
    assert normalise_identifier("passport", "X1234567", " mx ")["country"] == "MX"


def test_a_country_may_carry_a_subdivision():
    assert normalise_identifier("vehicle_plate", "ABC123", "us-tx")["country"] == "US-TX"


def test_a_three_letter_country_code_is_rejected_on_the_country_field():
    assert error_field("passport", "X1234567", "GBR") == "country"


def test_a_subdivision_longer_than_three_characters_is_rejected():
    assert error_field("vehicle_plate", "ABC123", "US-TEXA") == "country"


@pytest.mark.parametrize("type_", sorted(COUNTRY_REQUIRED))
def test_a_type_that_requires_a_country_is_rejected_without_one(type_):
    assert error_field(type_, "AB123456") == "country"


def test_a_blank_country_counts_as_missing():
    assert error_field("passport", "X1234567", "  ") == "country"


def test_a_country_is_optional_for_other_types():
    assert normalise_identifier("email", "a@b.org")["country"] is None


def test_an_optional_country_is_still_validated():
    assert error_field("email", "a@b.org", "Britain") == "country"


def test_an_unknown_two_letter_country_is_rejected_on_the_country_field():
    assert error_field("passport", "X1234567", "XX") == "country"


def test_an_unknown_subdivision_of_a_known_country_is_rejected_on_the_country_field():
    assert error_field("vehicle_plate", "ABC123", "US-ZZ") == "country"


def test_the_unknown_country_error_names_the_code_given():
    with pytest.raises(DomainError) as caught:
        normalise_identifier("passport", "X1234567", "xx")
    assert "'XX'" in caught.value.message


def test_a_subdivision_that_is_itself_a_country_of_the_uk_is_accepted():
    assert normalise_identifier("vehicle_plate", "AB12CDE", "gb-eng")["country"] == "GB-ENG"


def test_kosovo_is_accepted_under_its_user_assigned_code():
    assert normalise_identifier("passport", "P01234567", "XK")["country"] == "XK"


# --- phone ---------------------------------------------------------------------


def test_a_phone_with_spaces_and_dashes_is_normalised_to_e164():
    assert value_of("phone", "+44 7700-900 123") == "+447700900123"


def test_a_phone_with_dots_and_parentheses_is_normalised_to_e164():
    assert value_of("phone", "+1 (202) 555.0143") == "+12025550143"


def test_a_phone_with_a_00_prefix_becomes_a_plus():
    assert value_of("phone", "0044 7700 900123") == "+447700900123"


def test_a_national_phone_of_the_identifiers_country_is_normalised_to_e164():
    # Measured bug: a US number written nationally with country US used to be refused.
    assert value_of("phone", "7865551234", "US") == "+17865551234"


def test_a_national_phone_with_dashes_is_normalised_to_e164():
    assert value_of("phone", "786-555-1234", "US") == "+17865551234"


def test_a_national_phone_with_an_area_code_in_parentheses_is_normalised_to_e164():
    assert value_of("phone", "(786) 555-1234", "US") == "+17865551234"


def test_an_international_phone_with_parentheses_gives_the_same_e164():
    assert value_of("phone", "+1 (786) 555-1234") == "+17865551234"


def test_a_national_phone_drops_its_trunk_prefix():
    assert value_of("phone", "07700 900123", "GB") == "+447700900123"


def test_a_national_phone_reads_a_subdivision_as_its_country():
    assert value_of("phone", "786 555 1234", "US-FL") == "+17865551234"


def test_an_international_phone_keeps_its_own_country_code_whatever_the_country():
    assert value_of("phone", "+44 7700 900123", "US") == "+447700900123"


def test_a_phone_uses_the_international_prefix_of_its_country():
    assert value_of("phone", "011 44 7700 900123", "US") == "+447700900123"


def test_a_phone_with_a_bracketed_trunk_zero_after_the_country_code_drops_it():
    assert value_of("phone", "+44 (0)7700 900123") == "+447700900123"


def test_a_national_phone_without_a_country_is_rejected():
    assert error_field("phone", "07700 900123") == "value"


def test_the_phone_error_asks_for_international_format_or_a_country():
    with pytest.raises(DomainError) as caught:
        normalise_identifier("phone", "07700 900123")
    assert "international format" in caught.value.message
    assert "country" in caught.value.message


def test_a_phone_in_an_unallocated_but_possible_range_is_accepted():
    assert value_of("phone", "+1 555 123 4567") == "+15551234567"


def test_a_national_phone_too_short_for_its_country_is_rejected():
    assert error_field("phone", "555-1234", "US") == "value"


def test_a_phone_with_fewer_than_eight_digits_is_rejected():
    assert error_field("phone", "+4412345") == "value"


def test_a_phone_with_more_than_fifteen_digits_is_rejected():
    assert error_field("phone", "+1234567890123456") == "value"


def test_a_phone_whose_country_code_starts_with_zero_is_rejected():
    assert error_field("phone", "+0447700900123") == "value"


def test_a_phone_with_letters_is_rejected():
    assert error_field("phone", "+44 7700 CALLME") == "value"


def test_a_vanity_phone_is_rejected_rather_than_read_off_a_keypad():
    assert error_field("phone", "1-800-FLOWERS", "US") == "value"


def test_a_phone_with_an_extension_is_rejected():
    assert error_field("phone", "+44 7700 900123 ext 12") == "value"


def test_a_phone_with_a_plus_inside_it_is_rejected():
    assert error_field("phone", "+44 7700 900123 +1") == "value"


# --- email ---------------------------------------------------------------------


def test_an_email_is_lower_cased_in_full():
    assert value_of("email", " John.Smith@Example.ORG ") == "john.smith@example.org"


def test_an_email_without_an_at_sign_is_rejected():
    assert error_field("email", "john.example.org") == "value"


def test_an_email_with_two_at_signs_is_rejected():
    assert error_field("email", "john@smith@example.org") == "value"


def test_an_email_with_an_empty_local_part_is_rejected():
    assert error_field("email", "@example.org") == "value"


def test_an_email_whose_domain_has_no_dot_is_rejected():
    assert error_field("email", "john@localhost") == "value"


def test_an_email_containing_a_space_is_rejected():
    assert error_field("email", "john smith@example.org") == "value"


# --- passport ------------------------------------------------------------------


def test_a_passport_is_upper_cased_without_spaces_or_dashes():
    assert value_of("passport", "ab-12 34 56", "GB") == "AB123456"


def test_a_passport_shorter_than_five_characters_is_rejected():
    assert error_field("passport", "AB12", "GB") == "value"


def test_a_passport_longer_than_twenty_characters_is_rejected():
    assert error_field("passport", "A" * 21, "GB") == "value"


def test_a_passport_with_punctuation_is_rejected():
    assert error_field("passport", "AB/123456", "GB") == "value"


# --- vehicle plate -------------------------------------------------------------


def test_a_vehicle_plate_is_upper_cased_without_spaces_or_dashes():
    assert value_of("vehicle_plate", "abc-1 23", "US-TX") == "ABC123"


def test_a_single_character_vehicle_plate_is_accepted():
    assert value_of("vehicle_plate", "7", "MX") == "7"


def test_a_vehicle_plate_longer_than_twelve_characters_is_rejected():
    assert error_field("vehicle_plate", "ABCDEFGHIJKLM", "MX") == "value"


def test_a_vehicle_plate_with_punctuation_is_rejected():
    assert error_field("vehicle_plate", "ABC.123", "MX") == "value"


# --- VIN -----------------------------------------------------------------------


def test_a_valid_vin_is_upper_cased_without_spaces():
    assert value_of("vin", "1m8gdm9a xkp042788") == "1M8GDM9AXKP042788"


def test_a_vin_with_a_numeric_check_digit_is_accepted():
    assert value_of("vin", "11111111111111111") == "11111111111111111"


def test_a_vin_with_a_wrong_check_digit_is_rejected():
    assert error_field("vin", "1M8GDM9A1KP042788") == "value"


def test_a_vin_with_a_corrupted_character_fails_the_check_digit():
    assert error_field("vin", "1M8GDM9AXKP042789") == "value"


def test_a_vin_containing_the_letter_o_is_rejected():
    assert error_field("vin", "1M8GDM9AXKPO42788") == "value"


def test_a_vin_of_sixteen_characters_is_rejected():
    assert error_field("vin", "1M8GDM9AXKP04278") == "value"


# --- IBAN ----------------------------------------------------------------------


def _iban_with_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"



def test_a_valid_iban_is_upper_cased_without_spaces():
    assert value_of("iban", "gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"


def test_another_countrys_valid_iban_is_accepted():
    assert value_of("iban", "DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


def test_an_iban_with_a_corrupted_digit_fails_mod_97():
    assert error_field("iban", "GB82 WEST 1234 5698 7654 33") == "value"


def test_an_iban_with_wrong_check_digits_fails_mod_97():
    assert error_field("iban", "GB83 WEST 1234 5698 7654 32") == "value"


def test_an_iban_shorter_than_fifteen_characters_is_rejected():
    assert error_field("iban", "GB82WEST123456") == "value"


def test_an_iban_not_starting_with_a_country_code_is_rejected():
    assert error_field("iban", "1282WEST12345698765432") == "value"


def test_the_iban_checksum_error_says_the_check_digits_do_not_match():
    with pytest.raises(DomainError) as caught:
        normalise_identifier("iban", "GB82 WEST 1234 5698 7654 33")
    assert "check digits" in caught.value.message


def test_an_iban_with_good_check_digits_but_its_countrys_layout_wrong_is_rejected():
    # A British IBAN is a 4-letter bank code and 14 digits; digits first is not one.
    assert error_field("iban", _iban_with_check_digits("GB", "12345698765432WEST")) == "value"


def test_an_iban_of_a_country_without_ibans_is_rejected_even_with_good_check_digits():
    assert error_field("iban", _iban_with_check_digits("US", "WEST12345698765432")) == "value"


def test_an_iban_whose_bank_code_a_national_registry_may_not_list_is_accepted():
    assert value_of("iban", "BE68 5390 0754 7034") == "BE68539007547034"


# --- bank account --------------------------------------------------------------


def test_a_bank_account_is_upper_cased_without_spaces_or_dashes():
    assert value_of("bank_account", "12-34 56 ab") == "123456AB"


def test_a_bank_account_shorter_than_four_characters_is_rejected():
    assert error_field("bank_account", "1-2 3") == "value"


def test_a_bank_account_longer_than_34_characters_is_rejected():
    assert error_field("bank_account", "1" * 35) == "value"


# --- crypto wallet -------------------------------------------------------------

BASE58 = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def test_a_base58_wallet_keeps_its_case():
    assert value_of("crypto_wallet", f"  {BASE58} ") == BASE58


def test_a_bech32_wallet_is_lower_cased():
    wallet = "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"
    assert value_of("crypto_wallet", wallet) == wallet.lower()


def test_a_litecoin_bech32_wallet_is_lower_cased():
    wallet = "ltc1QG82TA5SGZ8PZTV5MCPJNNKMW8LLNJZTDHMLSSS"
    assert value_of("crypto_wallet", wallet) == wallet.lower()


def test_a_taproot_wallet_is_accepted_and_lower_cased():
    wallet = "BC1P5D7RJQ7G6RDK2YHZKS9SMLAQTEDR4DEKQ08GE8ZTWAC72SFR9RUSXG3297"
    assert value_of("crypto_wallet", wallet) == wallet.lower()


def test_a_hex_wallet_is_lower_cased():
    wallet = "0x52908400098527886E0F7030069857D2E4169EE7"
    assert value_of("crypto_wallet", wallet) == wallet.lower()


def test_a_wallet_containing_whitespace_is_rejected():
    assert error_field("crypto_wallet", "1A1zP1eP5QGefi2 DMPTfTL5SLmv7DivfNa") == "value"


def test_a_wallet_shorter_than_twenty_characters_is_rejected():
    assert error_field("crypto_wallet", "1A1zP1eP5QGefi2DMPT") == "value"


def test_a_wallet_longer_than_100_characters_is_rejected():
    assert error_field("crypto_wallet", "1" * 101) == "value"


# --- vessel IMO ----------------------------------------------------------------


def test_an_imo_number_with_the_imo_prefix_is_reduced_to_seven_digits():
    assert value_of("vessel_imo", "imo 9074729") == "9074729"


def test_a_bare_imo_number_is_accepted():
    assert value_of("vessel_imo", "9074729") == "9074729"


def test_an_imo_number_with_a_wrong_check_digit_is_rejected():
    assert error_field("vessel_imo", "IMO 9074728") == "value"


def test_an_imo_number_of_six_digits_is_rejected():
    assert error_field("vessel_imo", "907472") == "value"


def test_an_imo_number_with_letters_is_rejected():
    assert error_field("vessel_imo", "IMO 90747A9") == "value"


# --- aircraft tail -------------------------------------------------------------


def test_an_aircraft_tail_is_upper_cased_without_spaces():
    assert value_of("aircraft_tail", "g-ab cd") == "G-ABCD"


def test_an_aircraft_tail_without_a_dash_is_accepted():
    assert value_of("aircraft_tail", "n12345") == "N12345"


def test_an_aircraft_tail_with_two_dashes_is_rejected():
    assert error_field("aircraft_tail", "G-AB-CD") == "value"


def test_an_aircraft_tail_longer_than_ten_characters_is_rejected():
    assert error_field("aircraft_tail", "N1234567890") == "value"


def test_a_single_character_aircraft_tail_is_rejected():
    assert error_field("aircraft_tail", "N") == "value"


# --- weapon serial -------------------------------------------------------------


def test_a_weapon_serial_is_upper_cased_without_spaces_and_keeps_dashes():
    assert value_of("weapon_serial", "abc-12 345") == "ABC-12345"


def test_a_weapon_serial_with_other_punctuation_is_rejected():
    assert error_field("weapon_serial", "ABC#12345") == "value"


def test_a_weapon_serial_longer_than_forty_characters_is_rejected():
    assert error_field("weapon_serial", "A" * 41) == "value"


# --- company registration ------------------------------------------------------


def test_a_company_registration_is_upper_cased_without_spaces():
    assert value_of("company_registration", "sc 123 456", "GB") == "SC123456"


def test_a_one_character_company_registration_is_rejected():
    assert error_field("company_registration", "1", "GB") == "value"


# --- address -------------------------------------------------------------------


def test_an_address_is_upper_cased_without_commas_or_periods():
    assert value_of("address", "Flat 2, 10 Downing St., London") == "FLAT 2 10 DOWNING ST LONDON"


@pytest.mark.parametrize(
    ("word", "abbreviation"),
    [
        ("Street", "ST"), ("Avenue", "AVE"), ("Road", "RD"), ("Boulevard", "BLVD"),
        ("Drive", "DR"), ("Lane", "LN"), ("Court", "CT"), ("Highway", "HWY"),
    ],
)
def test_a_street_suffix_word_is_abbreviated(word, abbreviation):
    assert value_of("address", f"1 Elm {word}") == f"1 ELM {abbreviation}"


def test_a_street_suffix_inside_a_longer_word_is_left_alone():
    assert value_of("address", "1 Streetly Roadway") == "1 STREETLY ROADWAY"


def test_an_address_up_to_300_characters_is_accepted():
    assert len(value_of("address", "A" * 300)) == 300


def test_an_address_longer_than_300_characters_is_rejected():
    assert error_field("address", "A" * 301) == "value"


def test_accents_are_folded_in_an_address():
    assert value_of("address", "Calle Núñez 5, Peñalolén") == "CALLE NUNEZ 5 PENALOLEN"


def test_a_cyrillic_address_is_transliterated():
    assert value_of("address", "ул. Ленина 5") == "UL LENINA 5"


def test_an_address_of_only_punctuation_is_rejected():
    assert error_field("address", ", . ,") == "value"


# --- name and date of birth ----------------------------------------------------


def test_a_name_is_upper_cased_and_joined_to_the_date_of_birth():
    normalised = value_of("name_dob", "John Smith", date_of_birth="1980-02-29")
    assert normalised == "JOHN SMITH|1980-02-29"


def test_accents_are_stripped_from_a_name():
    normalised = value_of("name_dob", "José Núñez", date_of_birth="1975-06-01")
    assert normalised == "JOSE NUNEZ|1975-06-01"


def test_punctuation_other_than_hyphens_is_removed_from_a_name():
    assert value_of("name_dob", "Seán O'Brien-Smith, Jr.", date_of_birth="1990-01-15") == (
        "SEAN OBRIEN-SMITH JR|1990-01-15"
    )


def test_letters_that_do_not_decompose_are_folded_in_a_name():
    assert value_of("name_dob", "Łukasz Strauß Ørsted", date_of_birth="1980-01-01") == (
        "LUKASZ STRAUSS ORSTED|1980-01-01"
    )


def test_a_cyrillic_name_is_transliterated():
    assert value_of("name_dob", "Иван Петров", date_of_birth="1970-03-08") == "IVAN PETROV|1970-03-08"


def test_a_name_uses_the_same_folding_as_name_comparison():
    name = "  Seán   O\u2019Brien-Smith "
    assert value_of("name_dob", name, date_of_birth="1990-01-15") == f"{fold_name(name)}|1990-01-15"


def test_a_name_of_only_punctuation_is_rejected():
    assert error_field("name_dob", "'.,", date_of_birth="1990-01-15") == "value"


def test_a_name_of_only_a_hyphen_is_rejected():
    assert error_field("name_dob", "-", date_of_birth="1990-01-15") == "value"


def test_a_name_without_a_date_of_birth_is_rejected_on_the_date_of_birth_field():
    assert error_field("name_dob", "John Smith") == "date_of_birth"


def test_a_date_of_birth_not_in_iso_format_is_rejected():
    assert error_field("name_dob", "John Smith", date_of_birth="15/01/1990") == "date_of_birth"


def test_a_compact_iso_date_of_birth_is_rejected():
    assert error_field("name_dob", "John Smith", date_of_birth="19900115") == "date_of_birth"


def test_an_impossible_date_of_birth_is_rejected():
    assert error_field("name_dob", "John Smith", date_of_birth="1990-02-30") == "date_of_birth"


def test_a_date_of_birth_in_the_future_is_rejected():
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert error_field("name_dob", "John Smith", date_of_birth=tomorrow) == "date_of_birth"


def test_a_date_of_birth_of_today_is_accepted_as_the_subject_rule_accepts_it():
    today = date.today().isoformat()
    assert normalise_identifier("name_dob", "John Smith", date_of_birth=today)["value"] == f"JOHN SMITH|{today}"


# --- idempotence -------------------------------------------------------------

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(_ALNUM + "._+-", min_size=1, max_size=30),
    st.text(_ALNUM + "-", min_size=1, max_size=30),
    st.text("abcdefghijklmnopqrstuvwxyzABC", min_size=2, max_size=6),
)
plates = st.text(_ALNUM + " -", min_size=1, max_size=16).filter(
    lambda s: 1 <= len(s.replace(" ", "").replace("-", "")) <= 12
)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
british_bbans = st.builds(
    str.__add__, st.text(_LETTERS, min_size=4, max_size=4), st.text(_DIGITS, min_size=14, max_size=14)
)
german_bbans = st.text(_DIGITS, min_size=18, max_size=18)
ibans = st.one_of(
    british_bbans.map(lambda bban: _iban_with_check_digits("GB", bban)),
    german_bbans.map(lambda bban: _iban_with_check_digits("DE", bban)),
).map(lambda iban: " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)).lower())


@given(st.one_of(
    emails.map(lambda v: ("email", v, None)),
    plates.map(lambda v: ("vehicle_plate", v, "us-tx")),
    ibans.map(lambda v: ("iban", v, None)),
    st.from_regex(r"\A[2-9][0-9]{2}[2-9][0-9]{6}\Z").map(lambda v: ("phone", v, "us")),
))
def test_normalising_an_already_normalised_value_changes_nothing(case):
    type_, raw, country = case
    once = normalise_identifier(type_, raw, country)
    twice = normalise_identifier(once["type"], once["value"], once["country"])
    assert twice == once
