"""Normalisation and validation of target identifiers for deconfliction."""

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from domain.errors import DomainError

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

_COUNTRY = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WHITESPACE = re.compile(r"\s+")

_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
_PLATE = re.compile(r"^[A-Z0-9]{1,12}$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BANK_ACCOUNT = re.compile(r"^[A-Z0-9]{4,34}$")
_IMO = re.compile(r"^(?:IMO)?([0-9]{7})$")
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


def _phone(value: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _E164.match(digits):
        raise _invalid(
            "phone numbers must be in international format: "
            "'+' and country code, then 8-15 digits in total, e.g. +447700900123"
        )
    return digits


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


def _iban_checksum_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    # int(c, 36) maps 0-9 to themselves and A-Z to 10-35, as ISO 13616 requires.
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _iban(value: str) -> str:
    iban = _without(value.upper(), " ")
    if not _IBAN.match(iban):
        raise _invalid(
            "IBAN must be 15-34 characters: country code, 2 check digits, account"
        )
    if not _iban_checksum_ok(iban):
        raise _invalid("IBAN check digits do not match")
    return iban


def _bank_account(value: str) -> str:
    account = _without(value.upper(), " -")
    if not _BANK_ACCOUNT.match(account):
        raise _invalid("bank account must be 4-34 letters or digits")
    return account


def _crypto_wallet(value: str) -> str:
    if " " in value or not 20 <= len(value) <= 100:
        raise _invalid("crypto wallet must be 20-100 characters with no whitespace")
    # Base58 is case-sensitive, but bech32 and hex addresses are not, so only
    # those can be folded without merging distinct wallets.
    if value.lower().startswith(("bc1", "ltc1", "0x")):
        return value.lower()
    return value


def _imo_check_digit_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:6], (7, 6, 5, 4, 3, 2), strict=True))
    return total % 10 == int(digits[6])


def _vessel_imo(value: str) -> str:
    match = _IMO.match(_without(value.upper(), " "))
    if not match:
        raise _invalid("vessel IMO number must be 7 digits, optionally after 'IMO'")
    digits = match.group(1)
    if not _imo_check_digit_ok(digits):
        raise _invalid("vessel IMO check digit does not match")
    return digits


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
    words = _without(value.upper(), ",.").split()
    if not words:
        raise _invalid("address must not be empty")
    return " ".join(_STREET_SUFFIXES.get(word, word) for word in words)


def _name(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Apostrophes and dots vary between sources ("O'Brien", "J. Smith"), so
    # they are dropped; hyphens stay because they separate double-barrelled names.
    kept = "".join(c for c in unaccented.upper() if c.isalnum() or c in " -")
    name = _collapse(kept)
    if not name:
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
    "phone": _phone,
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


def _country(type_: str, raw: str | None) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise _invalid("country must be text", "country")
    country = (raw or "").strip().upper()
    if not country:
        if type_ in COUNTRY_REQUIRED:
            raise _invalid(f"{type_} identifiers need a country", "country")
        return None
    if not _COUNTRY.match(country):
        raise _invalid(
            "country must be an ISO 3166-1 alpha-2 code, optionally with a "
            "subdivision, e.g. MX or US-TX",
            "country",
        )
    return country


def _value(type_: str, raw: str) -> str:
    if not isinstance(raw, str):
        raise _invalid("value must be text")
    value = _collapse(raw)
    if not value:
        raise _invalid("value must not be empty")
    limit = MAX_ADDRESS_LENGTH if type_ == "address" else MAX_LENGTH
    if len(value) > limit:
        raise _invalid(f"value must be at most {limit} characters")
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
    normalised = _value(type_, value)
    if type_ == "name_dob":
        normalised = f"{normalised}|{_date_of_birth(date_of_birth)}"
    return {"type": type_, "value": normalised, "country": _country(type_, country)}
