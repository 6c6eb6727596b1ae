"""The production token path: an identity provider's JWKS served over HTTP, or its public key file (DESIGN.md §7)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import marshmallow as ma
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api import create_app
from api.auth import InvalidToken, TokenVerifier
from api.schemas import ShareSchema
from coordination.config import AuthSettings, Settings

ISSUER = "https://idp.example/"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_NEXT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
UNPUBLISHED = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEYS = {"RS256": (RSA_KEY, "rsa-1"), "ES256": (EC_KEY, "ec-1")}
COOLDOWN = 0.2  # seconds; production keeps PyJWT's 30 s, a test must not wait that long
CENTURY = 100 * 365 * 24 * 3600


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": alg}


class IdentityProvider:
    """A JWKS endpoint on 127.0.0.1 that counts how often Pathways fetches it."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps(provider.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def publish(self, *keys: tuple[Any, str]) -> None:
        self.jwks = {"keys": [public_jwk(key, kid) for key, kid in keys]}


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.publish((RSA_KEY, "rsa-1"), (EC_KEY, "ec-1"))
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


def idp_auth(tmp_path, **env: str) -> AuthSettings:
    return Settings.from_env({"PATHWAYS_STORE": "sqlite", "PATHWAYS_DATA_DIR": str(tmp_path),
                              "PATHWAYS_AUTH_ISSUER": ISSUER, **env}).auth


@pytest.fixture
def verifier(idp, tmp_path) -> TokenVerifier:
    return TokenVerifier(idp_auth(tmp_path, PATHWAYS_AUTH_JWKS_URL=idp.url))


def mint(key: Any = RSA_KEY, kid: str = "rsa-1", alg: str = "RS256", **claims: Any) -> str:
    """A token the identity provider would sign; a claim given as None is left out."""
    now = int(time.time())
    body = {"sub": "alice", "name": "Alice", "agency": "HSI", "roles": ["agent"], "iat": now, "exp": now + 600,
            "aud": "pathways", "iss": ISSUER, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})


def list_cases(app, bearer: str):
    return app.test_client().get("/api/v1/investigations", headers={"Authorization": f"Bearer {bearer}"})


def production_app(services, env: dict[str, str], **auth_env: str):
    """The app as deployed: this test's store, tokens verified by the identity provider only (no dev secret)."""
    deployed = {k: v for k, v in env.items() if k != "PATHWAYS_AUTH_DEV_SECRET"}
    settings = Settings.from_env({**deployed, "PATHWAYS_AUTH_ISSUER": ISSUER, **auth_env})
    return create_app({"SERVICES": services, "SETTINGS": settings})


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_token_whose_key_is_in_the_jwks_lists_cases(services, env, idp, alg):
    key, kid = KEYS[alg]
    app = production_app(services, env, PATHWAYS_AUTH_JWKS_URL=idp.url)
    assert list_cases(app, mint(key, kid, alg)).status_code == 200


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_token_verified_with_a_public_key_file_lists_cases(services, env, tmp_path, alg):
    key, kid = KEYS[alg]
    pem = tmp_path / "idp-public.pem"
    pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    app = production_app(services, env, PATHWAYS_AUTH_PUBLIC_KEY_FILE=str(pem))
    assert list_cases(app, mint(key, kid, alg)).status_code == 200


def test_a_token_living_a_century_answers_401_invalid_token(services, env, idp):
    now = int(time.time())
    app = production_app(services, env, PATHWAYS_AUTH_JWKS_URL=idp.url)
    response = list_cases(app, mint(iat=now, exp=now + CENTURY))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_verified_token_carries_its_agency_and_known_roles(verifier):
    actor = verifier.verify(mint(roles=["agent", "supervisor", "other-app_viewer"]))
    assert (actor.sub, actor.agency, actor.roles) == ("alice", "HSI", frozenset({"agent", "supervisor"}))


def test_an_expired_token_is_refused(verifier):
    now = int(time.time())
    with pytest.raises(InvalidToken):
        verifier.verify(mint(iat=now - 7200, exp=now - 3600))


def test_a_token_from_another_issuer_is_refused(verifier):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(iss="https://other-idp.example/"))


def test_a_token_for_another_audience_is_refused(verifier):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(aud="another-app"))


@pytest.mark.parametrize("agency", ["HSI\n", "HSI\r\n", " HSI", "hsi", "HSI-", ["HSI"]])
def test_an_agency_claim_that_is_not_wholly_an_agency_code_is_refused(verifier, agency):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(agency=agency))


def test_roles_given_as_a_space_separated_string_are_refused(verifier):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(roles="agent supervisor"))


@pytest.mark.parametrize("role", ["admin\n", "Admin", "agent supervisor", "", 7, None, ["agent"]])
def test_roles_with_an_element_that_is_not_a_role_code_are_refused(verifier, role):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(roles=["agent", role]))


def test_a_token_living_longer_than_the_maximum_lifetime_is_refused(verifier):
    now = int(time.time())
    with pytest.raises(InvalidToken):
        verifier.verify(mint(iat=now, exp=now + 24 * 3600 + 1))


def test_a_token_living_exactly_the_maximum_lifetime_is_accepted(verifier):
    now = int(time.time())
    assert verifier.verify(mint(iat=now, exp=now + 24 * 3600)).sub == "alice"


def test_a_configured_maximum_lifetime_shortens_what_is_accepted(idp, tmp_path):
    strict = TokenVerifier(idp_auth(tmp_path, PATHWAYS_AUTH_JWKS_URL=idp.url, PATHWAYS_AUTH_MAX_TOKEN_LIFETIME="3600"))
    now = int(time.time())
    with pytest.raises(InvalidToken):
        strict.verify(mint(iat=now, exp=now + 7200))


def test_a_token_without_an_issued_at_time_is_refused(verifier):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(iat=None))


def test_a_token_with_an_unknown_kid_is_refused(verifier):
    with pytest.raises(InvalidToken):
        verifier.verify(mint(UNPUBLISHED, "not-published"))


def test_many_tokens_with_unknown_kids_fetch_the_jwks_at_most_twice(verifier, idp):
    for n in range(50):
        with pytest.raises(InvalidToken):
            verifier.verify(mint(UNPUBLISHED, f"forged-{n}"))
    assert idp.fetches <= 2


def rotating_verifier(idp, tmp_path) -> TokenVerifier:
    auth = idp_auth(tmp_path, PATHWAYS_AUTH_JWKS_URL=idp.url)
    return TokenVerifier(dataclasses.replace(auth, jwks_cooldown_seconds=COOLDOWN))


def test_a_key_rotated_into_the_jwks_is_picked_up_by_its_new_kid(idp, tmp_path):
    verifier = rotating_verifier(idp, tmp_path)
    verifier.verify(mint())
    idp.publish((RSA_NEXT, "rsa-2"))
    time.sleep(COOLDOWN * 2)  # past the refetch cooldown that the first fetch started
    assert verifier.verify(mint(RSA_NEXT, "rsa-2", sub="bob")).sub == "bob"


def test_a_key_withdrawn_from_the_jwks_is_refused_once_the_set_is_refetched(idp, tmp_path):
    verifier = rotating_verifier(idp, tmp_path)
    verifier.verify(mint())
    idp.publish((RSA_NEXT, "rsa-2"))
    time.sleep(COOLDOWN * 2)
    verifier.verify(mint(RSA_NEXT, "rsa-2"))
    with pytest.raises(InvalidToken):
        verifier.verify(mint(sub="carol"))  # a new token, so not one the verifier remembers


def test_a_share_with_an_agency_code_followed_by_a_newline_is_refused():
    with pytest.raises(ma.ValidationError) as refused:
        ShareSchema().load({"agency": "DEA\n", "access": "read"})
    assert "agency" in refused.value.messages
