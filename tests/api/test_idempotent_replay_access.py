"""An idempotent replay answers what a fresh request by that caller would get now, when access is gone."""

from __future__ import annotations

from tests.api.support import as_, log_action, open_case, problem, share, write
from tests.conftest import auth

ACTION = {"kind": "interview", "summary": "Interviewed the courier at the port"}


def _contribute_with_key(client, key: str):
    case = open_case(client, "hsi_agent")
    share(client, case, "CBP", "contribute")
    first = client.post(f"{case.url}/actions", json=ACTION, headers=as_("cbp_agent", Idempotency_Key=key))
    assert first.status_code == 201, first.get_json()
    return case


def test_a_replay_after_the_share_was_revoked_is_a_404(client):
    case = _contribute_with_key(client, "cbp-7")
    write(client, case, "DELETE", "/shares/CBP", None, status=200)
    replay = client.post(f"{case.url}/actions", json=ACTION, headers=as_("cbp_agent", Idempotency_Key="cbp-7"))
    problem(replay, 404)


def test_a_replay_after_the_share_was_reduced_to_read_is_a_403(client):
    case = _contribute_with_key(client, "cbp-8")
    share(client, case, "CBP", "read")
    replay = client.post(f"{case.url}/actions", json=ACTION, headers=as_("cbp_agent", Idempotency_Key="cbp-8"))
    problem(replay, 403)


def test_a_replay_by_a_caller_whose_roles_were_reduced_is_a_403(client):
    case = open_case(client, "hsi_agent")
    headers = {"Idempotency-Key": "role-1"}
    assert client.post(f"{case.url}/actions", json=ACTION, headers=auth("alice", "HSI", ("agent",), **headers)
                       ).status_code == 201
    replay = client.post(f"{case.url}/actions", json=ACTION, headers=auth("alice", "HSI", ("analyst",), **headers))
    problem(replay, 403)


def test_a_replay_of_an_opening_by_a_caller_who_lost_the_agent_role_is_a_403(client):
    payload = {"title": "Tunnel under the border fence", "threat_domain": "human_smuggling"}
    assert client.post("/api/v1/investigations", json=payload,
                       headers=auth("alice", "HSI", ("agent",), Idempotency_Key="open-9")).status_code == 201
    replay = client.post("/api/v1/investigations", json=payload,
                         headers=auth("alice", "HSI", ("auditor",), Idempotency_Key="open-9"))
    problem(replay, 403)


def test_a_replay_by_a_caller_who_still_has_access_answers_the_stored_response(client):
    case = _contribute_with_key(client, "cbp-9")
    log_action(client, case, "hsi_agent")  # the case moved on; the replay still answers the first response
    replay = client.post(f"{case.url}/actions", json=ACTION, headers=as_("cbp_agent", Idempotency_Key="cbp-9"))
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed"), replay.get_json()["entry_version"]) == (
        201, "true", 3)


def test_a_refused_replay_writes_nothing(client):
    case = _contribute_with_key(client, "cbp-10")
    write(client, case, "DELETE", "/shares/CBP", None, status=200)
    client.post(f"{case.url}/actions", json=ACTION, headers=as_("cbp_agent", Idempotency_Key="cbp-10"))
    timeline = client.get(f"{case.url}/timeline", headers=as_("hsi_agent")).get_json()
    assert [e["type"] for e in timeline["items"]] == ["opened", "shared", "action_logged", "share_revoked"]


def test_a_replay_of_an_approval_by_a_supervisor_since_demoted_is_a_403(client):
    case = open_case(client, "hsi_agent")
    headers = {"Idempotency-Key": "approve-1", "If-Match": f'"{case.version}"'}
    approval = {"status": "active", "reason": "opening report reviewed"}
    assert client.post(f"{case.url}/status", json=approval,
                       headers=auth("sam", "HSI", ("supervisor",), **headers)).status_code == 200
    replay = client.post(f"{case.url}/status", json=approval, headers=auth("sam", "HSI", ("agent",), **headers))
    problem(replay, 403)


def test_a_replay_of_a_correction_of_anothers_entry_by_a_supervisor_since_demoted_is_a_403(client):
    case = open_case(client, "hsi_agent")  # alice's opening, corrected by her supervisor
    headers = {"Idempotency-Key": "fix-1", "If-Match": "*"}
    correction = {"corrects": 1, "changes": {"title": "Tunnel at Nogales"}, "reason": "wrong town"}
    assert client.post(f"{case.url}/corrections", json=correction,
                       headers=auth("sam", "HSI", ("supervisor",), **headers)).status_code == 201
    replay = client.post(f"{case.url}/corrections", json=correction, headers=auth("sam", "HSI", ("agent",), **headers))
    problem(replay, 403)
