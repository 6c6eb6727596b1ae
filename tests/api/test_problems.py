"""Every error is an RFC 9457 problem (application/problem+json) with the status and headers it needs (DESIGN.md §6)."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest

from api import create_app
from tests.api.support import CASES, as_, log_action, no_traceback, open_case, problem
from tests.conftest import DEV_SECRET, auth

NEW_CASE = {"title": "Fentanyl precursors via Manzanillo", "threat_domain": "drug_trafficking"}


def _signed(claims: dict, key: str = DEV_SECRET, algorithm: str = "HS256") -> dict[str, str]:
    now = int(time.time())
    payload = {"sub": "alice", "agency": "HSI", "roles": ["agent"], "aud": "pathways", "iat": now, "exp": now + 600,
               **claims}
    return {"Authorization": f"Bearer {jwt.encode(payload, key, algorithm=algorithm)}"}


# --- 400, 401, 403, 404, 405 --------------------------------------------------------------------------------

def test_malformed_json_is_a_400_problem(client):
    response = client.post(CASES, data='{"title": "unterminated', content_type="application/json", headers=auth())

    body = problem(response, 400)
    assert body["title"] == "Bad request"
    assert "JSON" in body["detail"]


def test_a_request_without_a_token_is_a_401_that_asks_for_a_bearer_token(client):
    response = client.get(CASES)

    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "error=" not in response.headers["WWW-Authenticate"]
    assert "bearer token" in body["detail"]


def test_a_token_of_another_scheme_is_a_401(client):
    response = client.get(CASES, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})

    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_token_signed_with_another_secret_is_a_401_invalid_token(client):
    response = client.get(CASES, headers=_signed({}, key="another-secret-of-at-least-16-chars"))

    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_a_401_invalid_token(client):
    an_hour_ago = int(time.time()) - 3600
    response = client.get(CASES, headers=_signed({"iat": an_hour_ago - 600, "exp": an_hour_ago}))

    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_unsigned_token_is_a_401_invalid_token(client):
    response = client.get(CASES, headers=_signed({}, key="", algorithm="none"))

    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_for_another_audience_is_a_401_invalid_token(client):
    response = client.get(CASES, headers=_signed({"aud": "some-other-service"}))

    problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_without_an_agency_is_a_401_invalid_token(client):
    response = client.get(CASES, headers=_signed({"agency": None}))

    body = problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "agency" not in body["detail"]  # why a token was refused goes to the audit trail, not to the caller


def test_a_caller_without_a_writing_role_is_a_403(client):
    case = open_case(client)

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"},
                           headers=as_("hsi_analyst"))

    body = problem(response, 403)
    assert body["title"] == "Forbidden"
    assert "agent" in body["detail"] and "supervisor" in body["detail"]


def test_a_case_of_another_agency_is_a_404(client):
    case = open_case(client, "hsi_agent")

    response = client.get(case.url, headers=as_("dea_agent"))

    body = problem(response, 404)
    assert case.body["case_number"] not in response.get_data(as_text=True)
    assert body["title"] == "Not found"


def test_a_random_id_is_a_404_indistinguishable_from_a_case_of_another_agency(client):
    case = open_case(client, "hsi_agent")

    hidden = problem(client.get(case.url, headers=as_("dea_agent")), 404)
    absent = problem(client.get(f"{CASES}/{uuid.uuid4()}", headers=as_("dea_agent")), 404)

    assert {k: hidden[k] for k in ("type", "title", "detail")} == {k: absent[k] for k in ("type", "title", "detail")}


def test_a_path_that_names_no_route_is_a_404_problem(client):
    problem(client.get("/api/v1/no-such-thing", headers=auth()), 404)


def test_a_wrong_method_is_a_405_with_an_allow_header(client):
    case = open_case(client)

    response = client.delete(case.url, headers=auth())

    problem(response, 405)
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert "GET" in allowed and "DELETE" not in allowed


# --- 409, 412, 428 ---------------------------------------------------------------------------------------------

def test_a_write_to_a_closed_case_is_a_409_conflict(client):
    case = open_case(client)
    closed = client.post(f"{case.url}/status", json={"status": "closed", "reason": "No prosecutable lead"},
                         headers=as_("hsi_supervisor", If_Match='"1"'))
    assert closed.status_code == 200, closed.get_json()

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"}, headers=auth())

    body = problem(response, 409)
    assert "closed" in body["detail"]


def test_a_stale_if_match_is_a_412(client):
    case = open_case(client)
    log_action(client, case)  # version 2 now

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"},
                           headers=auth(If_Match='"1"'))

    body = problem(response, 412)
    assert "2" in body["detail"]


def test_an_if_match_that_cannot_be_a_version_is_a_412(client):
    case = open_case(client)

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"},
                           headers=auth(If_Match='"not-a-version"'))

    problem(response, 412)


def test_a_status_change_without_if_match_is_a_428_naming_if_match(client):
    case = open_case(client)

    response = client.post(f"{case.url}/status", json={"status": "active", "reason": "approved"},
                           headers=as_("hsi_supervisor"))

    body = problem(response, 428)
    assert list(body["errors"]) == ["If-Match"]


def test_a_correction_without_if_match_is_a_428_naming_if_match(client):
    case = open_case(client)

    response = client.post(f"{case.url}/corrections", json={"corrects": 1, "changes": {"title": "x"}, "reason": "r"},
                           headers=auth())

    body = problem(response, 428)
    assert list(body["errors"]) == ["If-Match"]


# --- 413, 415, 422 ---------------------------------------------------------------------------------------------

def test_a_body_over_1_mib_is_a_413(client):
    oversized = json.dumps({**NEW_CASE, "summary": "x" * (1024 * 1024)})

    response = client.post(CASES, data=oversized, content_type="application/json", headers=auth())

    body = problem(response, 413)
    assert body["title"] == "Request body too large"


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post(CASES, data="title=Smuggling&threat_domain=human_smuggling",
                           content_type="application/x-www-form-urlencoded", headers=auth())

    body = problem(response, 415)
    assert "application/json" in body["detail"]


def test_an_unknown_field_is_a_422_naming_it(client):
    response = client.post(CASES, json={**NEW_CASE, "priority": "high"}, headers=auth())

    body = problem(response, 422)
    assert body["errors"] == {"priority": ["Unknown field."]}


def test_a_server_set_field_in_the_body_is_a_422_naming_it(client):
    response = client.post(CASES, json={**NEW_CASE, "owning_agency": "DEA", "version": 7}, headers=auth())

    body = problem(response, 422)
    assert set(body["errors"]) == {"owning_agency", "version"}


def test_a_missing_required_field_is_a_422_naming_it(client):
    response = client.post(CASES, json={"title": "No domain"}, headers=auth())

    body = problem(response, 422)
    assert set(body["errors"]) == {"threat_domain"}


@pytest.mark.parametrize(("path", "payload", "field"), [
    pytest.param("/actions", {"kind": "interview", "summary": "s", "location": {"lat": 200, "lon": 1}},
                 "location.lat", id="a latitude beyond 90"),
    pytest.param("/actions", {"kind": "interview", "summary": "s", "location": {"lat": 19.4}},
                 "location.lon", id="a latitude without its longitude"),
    pytest.param("/actions", {"kind": "interview", "summary": "s", "occurred_at": "2999-01-01T00:00:00Z"},
                 "occurred_at", id="an action in the future"),
    pytest.param("/actions", {"kind": "bribery", "summary": "s"}, "kind", id="an unknown action kind"),
    pytest.param("/subjects", {"kind": "person", "name": "Juan", "role": "leader",
                               "identifiers": [{"type": "phone", "value": "12345"}]},
                 "identifiers.0.value", id="a phone number not in international format"),
    pytest.param("/subjects", {"kind": "business", "name": "Acme Freight", "role": "legitimate_business"},
                 "witting", id="a business not said to be witting or not"),
    pytest.param("/shares", {"agency": "not an agency", "access": "read"}, "agency", id="a malformed agency code"),
])
def test_an_invalid_field_is_a_422_naming_it(client, path, payload, field):
    case = open_case(client)

    response = client.post(f"{case.url}{path}", json=payload, headers=auth())

    body = problem(response, 422)
    assert list(body["errors"]) == [field]


def test_an_invalid_query_parameter_is_a_422_naming_it(client):
    response = client.get(f"{CASES}?limit=1000", headers=auth())

    body = problem(response, 422)
    assert list(body["errors"]) == ["limit"]


def test_an_unknown_query_parameter_is_a_422_naming_it(client):
    response = client.get(f"{CASES}?stauts=active", headers=auth())

    body = problem(response, 422)
    assert list(body["errors"]) == ["stauts"]


def test_an_idempotency_key_reused_with_another_body_is_a_422(client):
    case = open_case(client)
    log_action(client, case, summary="first", Idempotency_Key="retry-1")

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "second"},
                           headers=auth(Idempotency_Key="retry-1"))

    body = problem(response, 422)
    assert list(body["errors"]) == ["Idempotency-Key"]


# --- never a stack trace ---------------------------------------------------------------------------------------

def test_an_unexpected_error_is_a_500_problem_without_a_traceback_or_its_message(services):
    app = create_app({"SERVICES": services})  # not TESTING: errors are handled, not propagated

    @app.get("/api/v1/explode")
    def explode():
        raise RuntimeError("secret internals at /srv/pathways/app.py")

    response = app.test_client().get("/api/v1/explode", headers=auth())

    body = problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["detail"] == "an unexpected error occurred"


def test_a_deeply_nested_json_body_is_a_400_not_a_500(services):
    app = create_app({"SERVICES": services})  # not TESTING: what a real client would get
    nested = "[" * 100_000 + "]" * 100_000

    response = app.test_client().post(CASES, data=nested, content_type="application/json", headers=auth())

    problem(response, 400)


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", CASES, {"data": b"\xff\xfe{", "content_type": "application/json"}),
    ("POST", CASES, {"json": {"title": None, "threat_domain": 7, "summary": {"nested": [1]}}}),
    ("POST", CASES, {"json": ["not", "an", "object"]}),
    ("GET", f"{CASES}/not-a-uuid", {}),
    ("GET", f"{CASES}?cursor=abc&limit=-1", {}),
    ("GET", "/api/v1/audit?since=yesterday", {}),
], ids=["invalid utf-8", "wrong types", "a list body", "a malformed id", "a bad cursor",
        "a bad time filter"])
def test_a_hostile_request_is_answered_with_a_problem_not_a_traceback(client, method, path, kwargs):
    response = client.open(path, method=method, headers=auth(), **kwargs)

    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    no_traceback(response)
    assert response.mimetype == "application/problem+json"
