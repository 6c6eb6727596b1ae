"""Normalisation and validation of target identifiers for deconfliction."""

import re
from collections.abc import Callable
from datetime import date

import phonenumbers
import pycountry
from anyascii import anyascii
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult
from stdnum import iban, imo
from stdnum.exceptions import InvalidChecksum, ValidationError

from domain.errors import DomainError
from domain.name_match import fold_name

IDENTIFIER_TYPES = (
    "name_dob",
    "phone",
    "email",
    "passport",
    "vehicle_plate",
    "vin",
    "address",
    "bank_account",
    "iban",
    "crypto_wallet",
    "vessel_imo",
    "aircraft_tail",
    "weapon_serial",
    "company_registration",
)

# A vehicle_plate's country holds the issuing state or country, e.g. "US-TX".
COUNTRY_REQUIRED = frozenset({"passport", "vehicle_plate", "company_registration"})

MAX_LENGTH = 200
# Full postal addresses legitimately run longer than other identifiers.
MAX_ADDRESS_LENGTH = 300

# Kosovo has no ISO 3166-1 code; the user-assigned XK is what the European Commission and the
# IBAN registry use (Kosovo IBANs start XK), so it is accepted as a country.
_KOSOVO = "XK"
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WHITESPACE = re.compile(r"\s+")

# Digits and the separators people write; letters are refused, since phonenumbers would read
# them off a keypad ("1-800-FLOWERS") and an extension is not part of the line.
_PHONE = re.compile(r"^\+?[0-9 \-.()/]+$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
_PLATE = re.compile(r"^[A-Z0-9]{1,12}$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_BANK_ACCOUNT = re.compile(r"^[A-Z0-9]{4,34}$")
_TAIL = re.compile(r"^(?=.{2,10}$)[A-Z0-9]+(-[A-Z0-9]+)?$")
_WEAPON_SERIAL = re.compile(r"^[A-Z0-9-]{2,40}$")

_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}

_STREET_SUFFIXES = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "BOULEVARD": "BLVD",
    "DRIVE": "DR",
    "LANE": "LN",
    "COURT": "CT",
    "HIGHWAY": "HWY",
}


def _invalid(message: str, field: str = "value") -> DomainError:
    return DomainError(message, field)


def _collapse(value: str) -> str:
    return _WHITESPACE.sub(" ", value).strip()


def _without(value: str, chars: str) -> str:
    return value.translate({ord(c): None for c in chars})


def _phone(value: str, country: str | None) -> str:
    if not _PHONE.match(value):
        raise _invalid("phone number must hold only digits, an opening '+' and spaces, '-', '.', '(', ')' or '/'")
    region = country.split("-")[0] if country else None  # US-TX dials as US
    if region is None and value.startswith("00"):
        value = "+" + value[2:]  # given a country, phonenumbers knows its own prefix (011 in the US)
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise _invalid(
                "phone numbers must be in international format ('+' and country code, e.g. "
                "+447700900123) or national format with the identifier's country, e.g. 7865551234 and US"
            ) from None
        raise _invalid("phone number is not a number") from None
    # Possible (the right length for its country code), not "valid" (in a range allocated when this
    # phonenumbers was released): refusing a target's real number because that metadata lags would
    # keep it out of deconfliction, and exact matching needs only the canonical form.
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        raise _invalid("phone number has the wrong number of digits for its country code")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _email(value: str) -> str:
    address = value.lower()
    local, at, domain = address.partition("@")
    if " " in address or not at or "@" in domain or not local:
        raise _invalid("email must have exactly one '@' with a non-empty local part")
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise _invalid("email domain must contain a dot, e.g. example.org")
    return address


def _passport(value: str) -> str:
    number = _without(value.upper(), " -")
    if not _PASSPORT.match(number):
        raise _invalid("passport number must be 5-20 letters or digits")
    return number


def _vehicle_plate(value: str) -> str:
    plate = _without(value.upper(), " -")
    if not _PLATE.match(plate):
        raise _invalid("vehicle plate must be 1-12 letters or digits")
    return plate


def _vin_check_digit(vin: str) -> str:
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def _vin(value: str) -> str:
    vin = _without(value.upper(), " ")
    if not _VIN.match(vin):
        raise _invalid("VIN must be 17 letters or digits, excluding I, O and Q")
    if vin[8] != _vin_check_digit(vin):
        raise _invalid("VIN check digit (9th character) does not match")
    return vin


def _iban(value: str) -> str:
    # Only the ISO 13616 structure of the country and the mod-97 check digits: the national
    # checks stdnum adds look banks up in registries that lag (it refuses BE68 5390 0754 7034).
    try:
        return iban.validate(value, check_country=False)
    except InvalidChecksum:
        raise _invalid("IBAN check digits do not match") from None
    except ValidationError:
        raise _invalid("IBAN must be a country code, 2 check digits and an account in that country's format") from None


def _bank_account(value: str) -> str:
    account = _without(value.upper(), " -")
    if not _BANK_ACCOUNT.match(account):
        raise _invalid("bank account must be 4-34 letters or digits")
    return account


def _crypto_wallet(value: str) -> str:
    # Not stdnum.bitcoin: the identifier names no chain, and that module refuses Taproot (bc1p)
    # addresses and would refuse Polkadot's, which also start with "1".
    if " " in value or not 20 <= len(value) <= 100:
        raise _invalid("crypto wallet must be 20-100 characters with no whitespace")
    # Base58 is case-sensitive, but bech32 and hex addresses are not, so only
    # those can be folded without merging distinct wallets.
    if value.lower().startswith(("bc1", "ltc1", "0x")):
        return value.lower()
    return value


def _vessel_imo(value: str) -> str:
    try:
        return imo.validate(value)
    except InvalidChecksum:
        raise _invalid("vessel IMO check digit does not match") from None
    except ValidationError:
        raise _invalid("vessel IMO number must be 7 digits, optionally after 'IMO'") from None


def _aircraft_tail(value: str) -> str:
    tail = _without(value.upper(), " ")
    if not _TAIL.match(tail):
        raise _invalid(
            "aircraft tail number must be 2-10 letters or digits with at most one dash"
        )
    return tail


def _weapon_serial(value: str) -> str:
    serial = _without(value.upper(), " ")
    if not _WEAPON_SERIAL.match(serial):
        raise _invalid("weapon serial must be 2-40 letters, digits or dashes")
    return serial


def _company_registration(value: str) -> str:
    number = _without(value.upper(), " ")
    if not 2 <= len(number) <= 40:
        raise _invalid("company registration must be 2-40 characters")
    return number


def _address(value: str) -> str:
    words = _without(anyascii(value).upper(), ",.").split()
    if not words:
        raise _invalid("address must not be empty")
    return " ".join(_STREET_SUFFIXES.get(word, word) for word in words)


def _name(value: str) -> str:
    name = fold_name(value)
    if not any(c.isalnum() for c in name):
        raise _invalid("name must contain at least one letter")
    return name


def _date_of_birth(raw: str | None) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    # date.fromisoformat also accepts compact and week forms; only YYYY-MM-DD is allowed.
    if not _ISO_DATE.match(text):
        raise _invalid("date_of_birth must be an ISO date, YYYY-MM-DD", "date_of_birth")
    try:
        born = date.fromisoformat(text)
    except ValueError:
        raise _invalid("date_of_birth is not a real date", "date_of_birth") from None
    if born > date.today():
        raise _invalid("date_of_birth must not be in the future", "date_of_birth")
    return born.isoformat()


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "name_dob": _name,
    "email": _email,
    "passport": _passport,
    "vehicle_plate": _vehicle_plate,
    "vin": _vin,
    "address": _address,
    "bank_account": _bank_account,
    "iban": _iban,
    "crypto_wallet": _crypto_wallet,
    "vessel_imo": _vessel_imo,
    "aircraft_tail": _aircraft_tail,
    "weapon_serial": _weapon_serial,
    "company_registration": _company_registration,
}


def _known_country(code: str) -> bool:
    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return code == _KOSOVO or pycountry.countries.get(alpha_2=code) is not None


def _country(type_: str, raw: str | None) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise _invalid("country must be text", "country")
    country = (raw or "").strip().upper()
    if not country:
        if type_ in COUNTRY_REQUIRED:
            raise _invalid(f"{type_} identifiers need a country", "country")
        return None
    if not _known_country(country):
        raise _invalid(
            f"country {country!r} is not an ISO 3166-1 alpha-2 code, or one with an "
            "ISO 3166-2 subdivision, e.g. MX or US-TX",
            "country",
        )
    return country


def _value(type_: str, raw: str, country: str | None) -> str:
    if not isinstance(raw, str):
        raise _invalid("value must be text")
    value = _collapse(raw)
    if not value:
        raise _invalid("value must not be empty")
    limit = MAX_ADDRESS_LENGTH if type_ == "address" else MAX_LENGTH
    if len(value) > limit:
        raise _invalid(f"value must be at most {limit} characters")
    if type_ == "phone":
        return _phone(value, country)  # the only type whose reading depends on its country
    return _NORMALISERS[type_](value)


def normalise_identifier(
    type_: str,
    value: str,
    country: str | None = None,
    date_of_birth: str | None = None,
) -> dict:
    """Return the canonical form of an identifier, so equal targets match exactly."""
    if type_ not in IDENTIFIER_TYPES:
        raise _invalid(
            f"unknown identifier type {type_!r}; allowed: {', '.join(IDENTIFIER_TYPES)}",
            "type",
        )
    country_code = _country(type_, country)
    normalised = _value(type_, value, country_code)
    if type_ == "name_dob":
        normalised = f"{normalised}|{_date_of_birth(date_of_birth)}"
    return {"type": type_, "value": normalised, "country": country_code}
