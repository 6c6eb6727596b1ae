"""If-Match on writes: a strong ETag or `*`; anything else never matches."""

from __future__ import annotations

from uuid import UUID

from tests.api.support import as_, open_case, problem


def change_status(client, case, if_match: str):
    return client.post(f"{case.url}/status", json={"status": "active", "reason": "approved"},
                       headers=as_("hsi_supervisor", If_Match=if_match))


def test_if_match_star_accepts_whatever_version_is_current(client):
    case = open_case(client)
    assert change_status(client, case, "*").status_code == 200


def test_a_weak_etag_never_matches_a_write(client):
    case = open_case(client)
    problem(change_status(client, case, 'W/"1"'), 412)


def test_the_current_strong_etag_matches(client):
    case = open_case(client)
    response = change_status(client, case, '"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'


def test_times_inside_timeline_data_are_rfc_3339(client):
    case = open_case(client)
    logged = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "s"},
                         headers=as_("hsi_agent")).get_json()
    client.post(f"{case.url}/corrections", headers=as_("hsi_agent", If_Match=f'"{logged["version"]}"'),
                json={"corrects": logged["entry_version"], "reason": "wrong time",
                      "changes": {"occurred_at": "2026-01-02T03:04:05+02:00"}})
    timeline = client.get(f"{case.url}/timeline", headers=as_("hsi_agent")).get_json()
    assert timeline["items"][-1]["data"]["changes"]["occurred_at"] == "2026-01-02T01:04:05+00:00"


def test_a_write_through_the_api_anchors_the_cases_new_head_with_its_audit_record(client, services):
    case = open_case(client)
    client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "s"}, headers=as_("hsi_agent"))
    version, digest = services.anchors.anchored(UUID(case.id))
    integrity = client.get(f"{case.url}/integrity", headers=as_("hsi_agent")).get_json()
    assert (version, digest) == (2, integrity["head"])

