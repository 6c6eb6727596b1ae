"""Bearer token verification: the identity provider issues, Pathways only verifies (DESIGN.md §7)."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import Any

import jwt

from coordination.config import AuthSettings
from domain.envelope import Actor
from domain.rules import AGENCY_CODE
from domain.vocabulary import USER_ROLES

ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]
# Identity providers carry other applications' roles too: any well-formed code is accepted, unknown ones ignored.
ROLE_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired, or not from our identity provider."""


class IdentityProviderUnavailable(Exception):
    """The identity provider's keys could not be fetched: not the caller's fault, so 503, not 401."""


CACHE_SIZE = 4096
CACHE_SECONDS = 60.0


class TokenVerifier:
    """Verifies JWTs against the JWKS, a public key file, or (local use only) the HS256 dev secret."""

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        # A client sends the same token on every request: remember a verified one briefly, never past its exp.
        self._verified: OrderedDict[str, tuple[float, Actor]] = OrderedDict()
        self._lock = threading.Lock()
        self._jwks = _jwks_client(settings) if settings.jwks_url else None
        self._public_key = settings.public_key_file.read_text() if settings.public_key_file else None

    def _key_and_algorithms(self, token: str) -> tuple[Any, list[str]]:
        header = jwt.get_unverified_header(token)
        if header.get("alg") == "HS256":
            # HS256 is refused unless a dev secret is configured: a leaked public key must not mint tokens.
            if not self.settings.dev_secret:
                raise InvalidToken("HS256 tokens are not accepted here")
            return self.settings.dev_secret, ["HS256"]
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key, ASYMMETRIC
        if self._public_key is not None:
            return self._public_key, ASYMMETRIC
        raise InvalidToken("unsupported token algorithm")

    def verify(self, token: str) -> Actor:
        now = time.time()
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None and cached[0] > now:
                self._verified.move_to_end(token)
                return cached[1]
        claims = self._claims(token)
        actor = self._actor(claims)
        with self._lock:
            self._verified[token] = (min(now + CACHE_SECONDS, float(claims["exp"])), actor)
            while len(self._verified) > CACHE_SIZE:
                self._verified.popitem(last=False)
        return actor

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            key, algorithms = self._key_and_algorithms(token)
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self.settings.audience,
                issuer=self.settings.issuer, leeway=self.settings.leeway_seconds,
                options={"require": ["sub", "exp", "iat", "aud"] + (["iss"] if self.settings.issuer else [])},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise IdentityProviderUnavailable(str(error)) from None
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from None
        lifetime, longest = float(claims["exp"]) - float(claims["iat"]), self.settings.max_token_lifetime_seconds
        if lifetime > longest:
            # A stolen long-lived token stays useful for years: the identity provider must issue short ones.
            raise InvalidToken(f"the token lives {lifetime:.0f} s, longer than the {longest} s allowed")
        return claims

    def _actor(self, claims: dict[str, Any]) -> Actor:
        agency = claims.get(self.settings.claim_agency)
        if not isinstance(agency, str) or not AGENCY_CODE.fullmatch(agency):
            raise InvalidToken(f"the token has no valid {self.settings.claim_agency!r} claim")
        roles = claims.get(self.settings.claim_roles, [])
        # A list only: splitting a string would read "admin\tagent" or "agent admin" as roles nobody granted.
        if not isinstance(roles, list) or not all(isinstance(r, str) and ROLE_CODE.fullmatch(r) for r in roles):
            raise InvalidToken(f"the {self.settings.claim_roles!r} claim is not a list of role codes")
        sub = claims["sub"]
        if not isinstance(sub, str) or not 0 < len(sub) <= 200:
            raise InvalidToken("the 'sub' claim is not a string")
        return Actor(
            sub=sub,
            agency=agency,
            name=str(claims.get(self.settings.claim_name, ""))[:200],
            roles=frozenset(r for r in roles if r in USER_ROLES),
        )


def _jwks_client(settings: AuthSettings) -> jwt.PyJWKClient:
    """A JWKS client that refetches for an unknown kid at most once per cooldown, whatever the requests."""
    # No per-kid cache: it never expires, so a key the provider withdrew would stay trusted; the key set itself
    # is cached for `lifespan` seconds. The cooldown (PyJWT >= 2.14) stops forged kids from making us fetch.
    return jwt.PyJWKClient(settings.jwks_url or "", cache_keys=False, lifespan=300, timeout=5,
                           cooldown_duration=settings.jwks_cooldown_seconds)
