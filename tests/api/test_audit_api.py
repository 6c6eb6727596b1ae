"""The audit trail through the API: one record per request, allowed or denied, and reading it is audited too."""

from __future__ import annotations

import uuid
from itertools import pairwise
from typing import Any
from urllib.parse import quote

import pytest

from coordination.context import RequestContext
from domain.envelope import Actor
from tests.api.support import API, CASES, as_, created, log_action, open_case, problem, shared_case
from tests.conftest import auth

AUDIT = f"{API}/audit"
# The platform's own oversight (auditor and admin) sees every record, refused tokens included.
AUDITOR = Actor(sub="olga", agency="OIG", name="Olga", roles=frozenset({"auditor", "admin"}))


def _count(services) -> int:
    return services.audit.verify()["records"]


def _records_of(services, request_id: str) -> list[dict[str, Any]]:
    """The audit records of one request, read straight from the trail (so the reading leaves no record)."""
    page = services.audit.search(RequestContext(actor=AUDITOR), filters={}, limit=500)
    return [r for r in page["items"] if r["request_id"] == request_id]


def _search(client, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"limit": 500, **filters}.items())
    return created(client.get(f"{AUDIT}?{query}", headers=as_("hsi_auditor")), 200)["items"]


CASE_REQUESTS = {
    "read": ("GET", "", None),
    "log action": ("POST", "/actions", {"kind": "interview", "summary": "Interviewed the driver"}),
    "add subject": ("POST", "/subjects", {"kind": "person", "name": "Juan Perez", "role": "leader"}),
    "share": ("POST", "/shares", {"agency": "FBI", "access": "read"}),
    "revoke share": ("DELETE", "/shares/DEA", None),
    "change status": ("POST", "/status", {"status": "closed", "reason": "done"}),
    "correct": ("POST", "/corrections", {"corrects": 1, "changes": {"title": "Renamed"}, "reason": "clearer"}),
    "timeline": ("GET", "/timeline", None),
    "integrity": ("GET", "/integrity", None),
    "invalid body": ("POST", "/actions", {"kind": "interview"}),
}


@pytest.mark.parametrize("name", list(CASE_REQUESTS))
def test_every_request_to_a_case_route_leaves_exactly_one_audit_record(client, services, name):
    method, path, payload = CASE_REQUESTS[name]
    case = shared_case(client)
    before = _count(services)
    request_id = f"req-{uuid.uuid4().hex}"

    response = client.open(f"{case.url}{path}", method=method, json=payload,
                           headers=as_("hsi_supervisor", If_Match=f'"{case.version}"', X_Request_ID=request_id))

    assert _count(services) == before + 1
    (record,) = _records_of(services, request_id)
    assert (record["sub"], record["agency"], record["roles"]) == ("sam", "HSI", "supervisor")
    assert (record["object_type"], record["object_id"]) == ("investigation", case.id)
    assert record["status"] == response.status_code
    assert record["outcome"] == ("allowed" if response.status_code < 400 else "rejected")
    assert record["action"].startswith(f"{method} investigations.")
    assert record["source"] == "127.0.0.1"


def test_opening_a_case_is_recorded_against_the_new_case(client, services):
    response = client.post(CASES, json={"title": "T", "threat_domain": "cybercrime"},
                           headers=auth(X_Request_ID="req-open-1"))

    (record,) = _records_of(services, "req-open-1")
    assert (record["object_type"], record["object_id"]) == ("investigation", created(response, 201)["id"])
    assert (record["action"], record["outcome"], record["status"]) == (
        "POST investigations.InvestigationCollection", "allowed", 201)


def test_listing_cases_is_recorded_with_its_query(client, services):
    client.get(f"{CASES}?status=active&limit=5", headers=auth(X_Request_ID="req-list-1"))

    (record,) = _records_of(services, "req-list-1")
    assert (record["action"], record["outcome"]) == ("GET investigations.InvestigationCollection", "allowed")
    assert record["detail"] == "status=active&limit=5"


def test_a_denied_read_of_an_invisible_case_is_recorded_as_denied(client, services):
    case = open_case(client, "hsi_agent")

    response = client.get(case.url, headers=as_("fbi_agent", X_Request_ID="req-peek-1"))

    problem(response, 404)
    (record,) = _records_of(services, "req-peek-1")
    assert (record["sub"], record["agency"], record["object_id"]) == ("frank", "FBI", case.id)
    assert (record["outcome"], record["status"]) == ("denied", 404)


def test_a_write_refused_for_the_callers_role_is_recorded_as_denied(client, services):
    case = open_case(client)

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"},
                           headers=as_("hsi_analyst", X_Request_ID="req-analyst-1"))

    problem(response, 403)
    (record,) = _records_of(services, "req-analyst-1")
    assert (record["sub"], record["object_id"], record["outcome"], record["status"]) == (
        "ann", case.id, "denied", 403)


def test_a_rejected_token_is_recorded_with_no_subject_and_outcome_denied(client, services):
    case = open_case(client)
    forged = auth()["Authorization"][:-4] + "AAAA"

    response = client.get(case.url, headers={"Authorization": forged, "X-Request-ID": "req-forged-1"})

    problem(response, 401)
    (record,) = _records_of(services, "req-forged-1")
    assert (record["sub"], record["agency"], record["roles"]) == ("-", "-", "")
    assert (record["outcome"], record["status"], record["object_id"]) == ("denied", 401, case.id)
    assert "invalid token" in record["detail"]


def test_a_request_without_a_token_is_recorded_with_no_subject_and_outcome_denied(client, services):
    client.get(CASES, headers={"X-Request-ID": "req-anon-1"})

    (record,) = _records_of(services, "req-anon-1")
    assert (record["sub"], record["outcome"], record["status"]) == ("-", "denied", 401)
    assert "no bearer token" in record["detail"]


# --- reading the trail ---------------------------------------------------------------------------------------

@pytest.fixture
def activity(client) -> dict[str, Any]:
    """Some requests by several people of several agencies, on two cases, allowed and denied."""
    watched, other = shared_case(client), open_case(client, "dea_agent")
    log_action(client, watched, "hsi_agent")
    client.get(watched.url, headers=as_("dea_agent"))
    client.get(watched.url, headers=as_("fbi_agent"))  # denied
    client.get(other.url, headers=as_("dea_agent"))
    return {"watched": watched.id, "other": other.id}


@pytest.mark.parametrize(("name", "value"), [
    ("sub", "dave"), ("agency", "FBI"), ("outcome", "denied"), ("action", "GET investigations.InvestigationItem"),
])
def test_the_audit_trail_filters_by(client, activity, name, value):
    found = _search(client, **{name: value})

    assert found, f"nothing matched {name}={value}"
    assert all(r[name] == value for r in found)


def test_the_audit_trail_filters_by_object_id(client, activity):
    found = _search(client, object_id=activity["watched"])

    assert found and all(r["object_id"] == activity["watched"] for r in found)
    assert {r["sub"] for r in found} >= {"alice", "carol", "dave", "frank"}


def test_the_audit_trail_combines_filters(client, activity):
    response = client.get(f"{AUDIT}?sub=dave&object_id={activity['other']}", headers=auth("dora", "DEA", ("auditor",)))
    found = created(response, 200)["items"]

    assert [(r["sub"], r["object_id"], r["action"]) for r in found] == [
        ("dave", activity["other"], "GET investigations.InvestigationItem"),
        ("dave", activity["other"], "POST investigations.InvestigationCollection"),
    ]


def test_an_agencys_auditor_does_not_see_another_agency_working_its_own_case(client, activity):
    assert _search(client, object_id=activity["other"]) == []


def test_an_agencys_auditor_sees_another_agency_probing_its_case(client, activity):
    found = _search(client, agency="FBI", object_id=activity["watched"])
    assert [(r["outcome"], r["object_owner"]) for r in found] == [("denied", "HSI")]


def test_the_audit_trail_filters_by_time(client, activity):
    everything = _search(client)
    middle = everything[len(everything) // 2]
    since = quote(middle["recorded_at"])

    later = _search(client, since=since)
    earlier = _search(client, until=since)

    assert later and earlier
    assert min(r["seq"] for r in later) == middle["seq"]
    assert max(r["seq"] for r in earlier) == middle["seq"] - 1


def test_the_audit_trail_lists_newest_first_and_pages_with_a_cursor(client, activity):
    first = created(client.get(f"{AUDIT}?limit=3", headers=as_("hsi_auditor")), 200)
    second = created(client.get(f"{AUDIT}?limit=3&cursor={first['next_cursor']}", headers=as_("hsi_auditor")), 200)

    seqs = [r["seq"] for r in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 6


@pytest.mark.parametrize("caller", ["hsi_agent", "hsi_supervisor", "hsi_analyst", "hsi_prosecutor", "fbi_agent"])
def test_a_caller_who_is_not_an_auditor_cannot_read_the_audit_trail(client, services, caller):
    response = client.get(AUDIT, headers=as_(caller, X_Request_ID="req-nosy-1"))

    body = problem(response, 403)
    assert "auditor" in body["detail"]
    (record,) = _records_of(services, "req-nosy-1")
    assert (record["action"], record["outcome"]) == ("GET audit.AuditTrailView", "denied")


def test_reading_the_audit_trail_is_itself_recorded(client, services):
    before = _count(services)

    client.get(f"{AUDIT}?sub=alice", headers=as_("hsi_auditor", X_Request_ID="req-audit-1"))
    second = _search(client)

    assert _count(services) == before + 2
    (record,) = [r for r in second if r["request_id"] == "req-audit-1"]
    assert (record["sub"], record["action"], record["outcome"], record["detail"]) == (
        "audrey", "GET audit.AuditTrailView", "allowed", "sub=alice")


def test_the_audit_chain_is_intact_after_activity(client, services, activity):
    client.get(AUDIT, headers=as_("hsi_auditor"))

    verdict = services.audit.verify()

    assert verdict["intact"] is True
    assert verdict["records"] >= 10 and verdict["first_broken"] is None


def test_the_audit_records_are_chained_by_hash(client, activity):
    items = created(client.get(f"{AUDIT}?limit=500", headers=auth("olga", "OIG", ("auditor", "admin"))), 200)["items"]

    for newer, older in pairwise(items):
        assert newer["seq"] == older["seq"] + 1
        assert newer["prev_hash"] == older["hash"]


def test_a_partners_refused_body_on_a_case_is_visible_to_the_owners_auditor(client):
    case = shared_case(client)
    client.post(f"{case.url}/actions", json={"kind": "interview"}, headers=as_("cbp_agent"))  # 422: no summary
    found = _search(client, agency="CBP", outcome="rejected")
    assert [(r["object_id"], r["object_owner"], r["status"]) for r in found] == [(case.id, "HSI", 422)]


def test_an_auditor_does_not_learn_whose_case_its_own_people_probed(client):
    dea_case = open_case(client, "dea_agent")
    client.get(dea_case.url, headers=as_("hsi_agent"))  # 404 for HSI
    found = _search(client, object_id=dea_case.id)
    assert [r["object_owner"] for r in found] == ["(another agency)"]


def test_a_merge_into_a_case_the_caller_may_not_manage_is_audited_against_the_case_merged(client, services):
    source, other = open_case(client, "hsi_supervisor"), open_case(client, "dea_agent")
    response = client.post(f"{source.url}/status", json={"status": "merged", "reason": "same", "merged_into": other.id},
                           headers=as_("hsi_supervisor", If_Match=f'"{source.version}"'))
    problem(response, 404)
    [record] = _records_of(services, response.headers["X-Request-ID"])
    assert (record["object_id"], record["object_owner"], record["outcome"]) == (source.id, "HSI", "denied")
