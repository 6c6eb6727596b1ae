"""The OpenAPI document declares the headers writes understand as the server enforces them (DESIGN.md §6)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.views import MethodView

from api.blueprint import Blueprint
from api.headers import headers
from api.problems import PathwaysApi
from api.schemas import TimelineQuery
from tests.api.support import OPERATIONS, as_, open_case, plan, plan_body, share

WRITES = ("post", "put", "patch", "delete")
REQUIRED = "required"
OPTIONAL = "optional"
ABSENT = "absent"

# Every write operation of the API, a body that is valid for it, and how it treats a missing If-Match.
# A new write route fails test_every_write_operation_is_listed_here until it is added.
CASES_URL = "/api/v1/investigations"
CASE_URL = CASES_URL + "/{investigation_id}"
CONFLICT_URL = "/api/v1/deconfliction/conflicts/{conflict_id}"
EVIDENCE_URL = "/api/v1/evidence/{evidence_id}"
REFERRAL_URL = "/api/v1/referrals/{referral_id}"
WRITE_OPERATIONS: dict[tuple[str, str], tuple[dict[str, Any] | None, str]] = {
    ("post", CASES_URL): ({"title": "Seed", "threat_domain": "cybercrime"}, ABSENT),
    ("post", CASE_URL + "/actions"): ({"kind": "interview", "summary": "x"}, OPTIONAL),
    ("post", CASE_URL + "/subjects"): ({"kind": "person", "name": "Juan", "role": "leader"}, OPTIONAL),
    ("post", CASE_URL + "/shares"): ({"agency": "CBP", "access": "read"}, OPTIONAL),
    ("delete", CASE_URL + "/shares/{agency}"): (None, OPTIONAL),
    ("post", CASE_URL + "/status"): ({"status": "active", "reason": "approved"}, REQUIRED),
    ("post", CASE_URL + "/corrections"): ({"corrects": 1, "changes": {"title": "x"}, "reason": "r"}, REQUIRED),
    ("post", CASE_URL + "/subjects/{subject_id}/registration"): (None, ABSENT),
    ("post", OPERATIONS): (None, ABSENT),  # its body needs the case: see _body
    ("post", OPERATIONS + "/{operation_id}/amend"): ({"title": "Dawn entry"}, REQUIRED),
    ("post", OPERATIONS + "/{operation_id}/withdraw"): ({"reason": "called off"}, OPTIONAL),
    ("post", OPERATIONS + "/{operation_id}/approve"): ({}, REQUIRED),
    ("post", OPERATIONS + "/{operation_id}/exempt"): ({"reason": "agreed by phone"}, REQUIRED),
    ("post", OPERATIONS + "/{operation_id}/start"): ({}, REQUIRED),
    ("post", OPERATIONS + "/{operation_id}/complete"): ({"results": None}, REQUIRED),
    ("post", OPERATIONS + "/{operation_id}/cancel"): ({"reason": "target moved"}, REQUIRED),
    ("post", CASE_URL + "/reviews"): ({"note": "on track"}, OPTIONAL),
    ("post", "/api/v1/resources"): ({"kind": "k9", "name": "Rex"}, ABSENT),
    ("post", OPERATIONS + "/{operation_id}/resources"): ({"kind": "personnel", "agency": "HSI", "count": 2}, ABSENT),
    ("post", OPERATIONS + "/{operation_id}/resources/{request_id}/commit"): ({}, OPTIONAL),
    ("post", OPERATIONS + "/{operation_id}/resources/{request_id}/decline"): ({"reason": "none free"}, OPTIONAL),
    ("post", CONFLICT_URL + "/take"): ({}, OPTIONAL),
    ("post", CONFLICT_URL + "/acknowledge"): ({}, OPTIONAL),
    ("post", CONFLICT_URL + "/resolve"): ({"resolution": "joint", "note": "one team"}, OPTIONAL),
    ("post", CONFLICT_URL + "/escalate"): ({"reason": "no agreement"}, OPTIONAL),
    ("post", CASE_URL + "/evidence"): ({"description": "Phone", "kind": "physical", "seized_at": "2026-11-02T06:15:00Z",
                                        "custodian": "SA Moreno", "location": "Vault 2"}, ABSENT),
    ("post", EVIDENCE_URL + "/transfers"): ({"from": "SA Moreno", "to": "Lab", "at": "2026-11-03T09:00:00Z",
                                             "purpose": "lab", "seal_intact": True}, OPTIONAL),
    ("post", EVIDENCE_URL + "/lab-requests"): ({"lab": "FBI Lab", "analysis": "prints"}, OPTIONAL),
    ("post", EVIDENCE_URL + "/lab-results"): (None, OPTIONAL),  # its body names the lab request: see _body
    ("post", CASE_URL + "/charges"): ({"statute": "8 U.S.C. 1324(a)(1)(A)(ii)"}, ABSENT),
    ("post", CASE_URL + "/charges/{charge_id}/support"): (None, OPTIONAL),  # names the item: see _body
    ("post", CASE_URL + "/witnesses"): ({"name": "SA Ruiz", "kind": "law_enforcement", "agency": "HSI",
                                         "anticipated_testimony": "the seizure"}, ABSENT),
    ("post", CASE_URL + "/discovery"): ({"description": "Reports", "produced_to": "Defense counsel",
                                        "produced_at": "2026-11-20", "bates_start": "HSI-0001",
                                        "bates_end": "HSI-0040"}, ABSENT),
    ("post", CASE_URL + "/disclosure-reviews"): ({"kind": "jencks", "agency": "HSI"}, ABSENT),
    ("post", CASE_URL + "/referrals"): ({"office": "USAO-SDFL"}, ABSENT),
    ("post", REFERRAL_URL + "/approve"): ({}, REQUIRED),
    ("post", REFERRAL_URL + "/submit"): ({}, REQUIRED),
    ("post", REFERRAL_URL + "/accept"): ({}, REQUIRED),
    ("post", REFERRAL_URL + "/decline"): ({"reason": "insufficient_evidence", "memo": "m"}, REQUIRED),
    ("post", REFERRAL_URL + "/return"): ({"memo": "more"}, REQUIRED),
}


def _setup(client, case, path: str) -> dict[str, str]:
    """The ids a route's path names besides the case: an operation of it, a request of that, a conflict of it."""
    ids = {"investigation_id": case.id, "agency": "DEA"}
    if "{subject_id}" in path:
        added = client.post(f"/api/v1/investigations/{case.id}/subjects", headers=as_("hsi_supervisor"),
                            json={"kind": "person", "name": "Rosa Diaz", "role": "finance"})
        ids["subject_id"] = added.get_json()["subject_id"]
    if "{operation_id}" in path or "{conflict_id}" in path:
        ids["operation_id"] = plan(client, case, "hsi_supervisor")["id"]
    if "{request_id}" in path:  # HSI's operation asks HSI itself for people, so the caller may answer
        asked = client.post(f"{OPERATIONS}/{ids['operation_id']}/resources", headers=as_("hsi_supervisor"),
                            json={"kind": "personnel", "agency": "HSI", "count": 2})
        ids["request_id"] = asked.get_json()["id"]
    if "{conflict_id}" in path:
        found = plan(client, open_case(client, "dea_agent"), "dea_agent")["deconfliction"]["conflicts"]
        ids["conflict_id"] = next(c["id"] for c in found if c["counterpart"]["agency"] == "HSI")
    if "{evidence_id}" in path or "{charge_id}" in path:
        item = client.post(f"{case.url}/evidence", headers=as_("hsi_supervisor"), json=WRITE_OPERATIONS[
            ("post", CASE_URL + "/evidence")][0]).get_json()
        asked = client.post(f"/api/v1/evidence/{item['id']}/lab-requests", headers=as_("hsi_supervisor"),
                            json={"lab": "FBI Lab", "analysis": "prints"}).get_json()
        ids.update(evidence_id=item["id"], request_id=asked["lab_requests"][0]["id"])
    if "{charge_id}" in path:
        proposed = client.post(f"{case.url}/charges", headers=as_("hsi_supervisor"),
                               json={"statute": "8 U.S.C. 1324(a)(1)(A)(ii)"}).get_json()
        ids["charge_id"] = proposed["created_id"]
    if "{referral_id}" in path:
        drafted = client.post(f"{case.url}/referrals", headers=as_("hsi_supervisor"), json={"office": "USAO-SDFL"})
        ids["referral_id"] = drafted.get_json()["id"]
    return ids


def _body(path: str, body: dict[str, Any] | None, case: Any, ids: dict[str, str]) -> dict[str, Any] | None:
    """The body of a route that names what its setup made."""
    if path == OPERATIONS:
        return plan_body(case.id)
    if path.endswith("/lab-results"):
        return {"request_id": ids["request_id"], "findings": "two prints"}
    if path.endswith("/support"):
        return {"element": 0, "kind": "evidence", "ref": ids["evidence_id"]}
    return body


def _spec(client) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in spec["paths"].items()
            for method, op in item.items() if method in WRITES}


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name), None)


def test_every_write_operation_is_listed_here(client):
    assert set(_operations(_spec(client))) == set(WRITE_OPERATIONS)


def test_if_match_is_declared_required_on_exactly_the_writes_that_answer_428_without_it(client):
    operations = _operations(_spec(client))

    required = {key for key, op in operations.items() if (_header(op, "If-Match") or {}).get("required")}

    assert required == {key for key, (_, mode) in WRITE_OPERATIONS.items() if mode == REQUIRED}


@pytest.mark.parametrize("key", list(WRITE_OPERATIONS), ids=lambda key: f"{key[0].upper()} {key[1]}")
def test_a_write_without_if_match_answers_428_only_where_if_match_is_declared_required(client, key):
    method, path = key
    body, mode = WRITE_OPERATIONS[key]
    case = open_case(client)
    share(client, case, "DEA", "read")
    ids = _setup(client, case, path)
    url = path.format(**ids)
    body = _body(path, body, case, ids)
    caller = "ocg_coordinator" if path.endswith("/take") else "hsi_supervisor"

    response = client.open(url, method=method.upper(), json=body, headers=as_(caller))

    declared = _header(_operations(_spec(client))[key], "If-Match")
    if mode == REQUIRED:
        assert response.status_code == 428, response.get_json()
        assert declared is not None and declared["required"] is True
        assert set(_operations(_spec(client))[key]["responses"]) >= {"412", "428"}
    else:
        assert response.status_code in (200, 201), response.get_json()
        assert declared is None or declared["required"] is False


def test_writes_that_take_if_match_document_the_412_a_stale_one_gets(client):
    for key, op in _operations(_spec(client)).items():
        if _header(op, "If-Match") is not None:
            assert "412" in op["responses"], key
        else:
            assert WRITE_OPERATIONS[key][1] == ABSENT, key


def test_every_post_declares_an_optional_idempotency_key(client):
    for (method, path), op in _operations(_spec(client)).items():
        if method == "post":
            declared = _header(op, "Idempotency-Key")
            assert declared is not None and declared["required"] is False, path
            assert declared["schema"]["maxLength"] == 200


def test_a_stale_if_match_on_a_required_route_is_a_412_as_documented(client):
    case = open_case(client)

    response = client.post(f"{case.url}/status", json={"status": "active", "reason": "approved"},
                           headers=as_("hsi_supervisor", If_Match='"7"'))

    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"


def test_the_declaration_adds_to_query_parameters_in_either_decorator_order():
    blp = Blueprint("probe", __name__)

    @blp.route("/probe")
    class Probe(MethodView):
        @headers(if_match="optional", idempotency_key=True)
        @blp.arguments(TimelineQuery, location="query", as_kwargs=True)
        def post(self, **_: Any) -> str:
            return ""

        @blp.arguments(TimelineQuery, location="query", as_kwargs=True)
        @headers(if_match="required")
        def put(self, **_: Any) -> str:
            return ""

    app = Flask(__name__)
    app.config.update(API_TITLE="probe", API_VERSION="1", OPENAPI_VERSION="3.1.0")
    api = PathwaysApi(app)
    api.register_blueprint(blp)
    item = api.spec.to_dict()["paths"]["/probe"]

    names = {method: [(p["in"], p["name"], p.get("required")) for p in item[method]["parameters"]]
             for method in ("post", "put")}
    assert names["post"] == [("query", "limit", False), ("query", "cursor", False), ("header", "If-Match", False),
                             ("header", "Idempotency-Key", False)]
    assert names["put"] == [("header", "If-Match", True), ("query", "limit", False), ("query", "cursor", False)]
    assert "412" in item["post"]["responses"] and "428" not in item["post"]["responses"]
    assert {"412", "428"} <= set(item["put"]["responses"])
