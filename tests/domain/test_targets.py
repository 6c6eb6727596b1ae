"""Target deconfliction rules: what makes two identifiers one target, and how long a registration holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.targets import REGISTRATION_LIFETIME, identifier_digest, identifier_match, match_key, registration

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def _registered(investigation: str, at: datetime = NOW) -> dict:
    return registration(ref=f"subject-{investigation}", investigation_id=investigation, agency="HSI", number="DX26-1",
                        point_of_contact={"name": "A", "phone": "", "email": None}, identifier_type="phone", now=at)


def test_a_phone_is_one_target_whatever_country_it_was_typed_with():
    assert match_key({"type": "phone", "value": "+17865551234", "country": "US"}) == match_key(
        {"type": "phone", "value": "+17865551234", "country": None})


def test_a_passport_number_of_two_countries_is_two_targets():
    assert match_key({"type": "passport", "value": "X1234567", "country": "MX"}) != match_key(
        {"type": "passport", "value": "X1234567", "country": "GT"})


def test_the_digest_depends_on_the_key_so_no_one_without_it_can_test_a_value():
    phone = {"type": "phone", "value": "+17865551234", "country": None}
    assert identifier_digest(KEY, phone) != identifier_digest(b"j" * 32, phone)
    assert "7865551234" not in identifier_digest(KEY, phone)


def test_two_investigations_registering_one_identifier_match_at_medium_severity():
    finding = identifier_match(_registered("a"), _registered("b"), NOW)
    assert finding is not None and (finding.kind, finding.severity) == ("identifier", "medium")


def test_a_registration_lapses_after_twenty_four_months():
    old = _registered("b", at=NOW - REGISTRATION_LIFETIME)
    assert identifier_match(_registered("a"), old, NOW) is None


def test_a_registration_just_short_of_twenty_four_months_still_matches():
    old = _registered("b", at=NOW - REGISTRATION_LIFETIME + timedelta(seconds=1))
    assert identifier_match(_registered("a"), old, NOW) is not None
