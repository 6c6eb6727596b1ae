"""Tokens from a real identity provider (RS256 via JWKS): an unreachable provider is a 503, not a 401."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api import create_app
from coordination.config import Settings


@pytest.fixture
def app_with_unreachable_idp(services):
    settings = Settings.from_env({
        "PATHWAYS_STORE": "sqlite", "PATHWAYS_DATA_DIR": str(services.settings.data_dir),
        "PATHWAYS_AUTH_JWKS_URL": "http://127.0.0.1:1/.well-known/jwks.json",
        "PATHWAYS_AUTH_ISSUER": "https://idp.example/",
    })
    return create_app({"SERVICES": services, "SETTINGS": settings})


def rs256_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"sub": "alice", "agency": "HSI", "roles": ["agent"], "iat": now, "exp": now + 600,
              "aud": "pathways", "iss": "https://idp.example/"}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_an_unreachable_identity_provider_answers_503_with_retry_after(app_with_unreachable_idp):
    response = app_with_unreachable_idp.test_client().get(
        "/api/v1/investigations", headers={"Authorization": f"Bearer {rs256_token()}"})
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_an_hs256_token_is_refused_where_no_dev_secret_is_configured(app_with_unreachable_idp):
    forged = jwt.encode({"sub": "mallory", "agency": "HSI", "roles": ["agent"], "iat": int(time.time()),
                         "exp": int(time.time()) + 600, "aud": "pathways", "iss": "https://idp.example/"},
                        "guessed-secret-of-some-length-0123456789", algorithm="HS256")
    response = app_with_unreachable_idp.test_client().get(
        "/api/v1/investigations", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
