"""Dev tokens for local use and tests: HS256, signed with PATHWAYS_AUTH_DEV_SECRET only."""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt

from coordination.config import AuthSettings, ConfigError


def mint_dev_token(
    auth: AuthSettings, *, sub: str, agency: str, roles: Iterable[str], name: str = "", ttl_seconds: int = 8 * 3600
) -> str:
    """A token the dev secret signs; refused when no dev secret is configured."""
    if not auth.dev_secret:
        raise ConfigError("PATHWAYS_AUTH_DEV_SECRET", "not set; dev tokens need it (never set it in production)")
    if ttl_seconds > auth.max_token_lifetime_seconds:
        # Verification would refuse it anyway: say so now rather than hand out a token that never works.
        raise ConfigError("PATHWAYS_AUTH_MAX_TOKEN_LIFETIME", f"a lifetime of {ttl_seconds} s is longer than the "
                          f"{auth.max_token_lifetime_seconds} s it allows; mint a shorter token (--ttl)")
    now = int(time.time())
    claims = {
        "sub": sub, "name": name or sub, auth.claim_agency: agency, auth.claim_roles: sorted(set(roles)),
        "iat": now, "exp": now + ttl_seconds, "aud": auth.audience,
    }
    if auth.issuer:
        claims["iss"] = auth.issuer
    return jwt.encode(claims, auth.dev_secret, algorithm="HS256")
