"""The investigation journey through the HTTP API: open, log, add subjects, share, change status, correct, read."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.api.support import (
    CASES,
    Case,
    as_,
    created,
    log_action,
    open_case,
    problem,
    share,
    shared_case,
    write,
)
from tests.conftest import auth

CASE_FIELDS = {"id", "case_number", "title", "threat_domain", "summary", "status", "owning_agency", "case_agent",
               "shared_with", "version", "opened_at"}
TIMELINE_FIELDS = {"version", "type", "occurred_at", "recorded_at", "actor", "data"}


def _list(client, caller: str = "hsi_agent", *, position: int, **query: object) -> dict:
    params = "&".join(f"{k}={v}" for k, v in {"min_position": position, **query}.items())
    return created(client.get(f"{CASES}?{params}", headers=as_(caller)), 200)


def _timeline(client, case: Case, caller: str = "hsi_agent") -> list[dict]:
    return created(client.get(f"{case.url}/timeline", headers=as_(caller)), 200)["items"]


# --- opening ------------------------------------------------------------------------------------------------

def test_opening_a_case_answers_201_with_its_location_etag_log_position_and_fields(client):
    response = client.post(CASES, json={"title": "Smuggling corridor via Tapachula", "threat_domain":
                                        "human_smuggling", "summary": "Lead from a TCIU"}, headers=auth())

    body = created(response, 201)
    assert set(body) == CASE_FIELDS
    assert response.headers["Location"].endswith(f"{CASES}/{body['id']}")
    assert response.headers["ETag"] == '"1"'
    assert int(response.headers["Pathways-Log-Position"]) > 0
    assert body["title"] == "Smuggling corridor via Tapachula"
    assert body["threat_domain"] == "human_smuggling"
    assert body["summary"] == "Lead from a TCIU"
    assert body["status"] == "opened"
    assert body["owning_agency"] == "HSI"
    assert body["case_agent"] == {"sub": "alice", "name": "Alice"}
    assert body["shared_with"] == []
    assert body["version"] == 1
    assert datetime.fromisoformat(body["opened_at"]).tzinfo is not None


def test_the_location_of_a_new_case_reads_it_back_with_its_version_as_etag(client):
    opened = client.post(CASES, json={"title": "T", "threat_domain": "cybercrime"}, headers=auth())

    response = client.get(opened.headers["Location"], headers=auth())

    assert created(response, 200) == opened.get_json()
    assert response.headers["ETag"] == '"1"'


def test_case_numbers_increase_per_agency_and_year(client):
    year = datetime.now(UTC).year

    numbers = [open_case(client, caller).body["case_number"] for caller in
               ("hsi_agent", "hsi_supervisor", "dea_agent", "hsi_agent", "dea_agent")]

    assert numbers == [f"HSI-{year}-00001", f"HSI-{year}-00002", f"DEA-{year}-00001", f"HSI-{year}-00003",
                       f"DEA-{year}-00002"]


# --- writing to it ------------------------------------------------------------------------------------------

def test_logging_an_action_increments_the_version_and_answers_it_as_etag(client):
    case = open_case(client)

    first = client.post(f"{case.url}/actions", json={"kind": "surveillance", "summary": "Watched the stash house",
                                                       "location": {"lat": 14.9, "lon": -92.26, "place": "Tapachula"}},
                        headers=auth())
    second = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "Interviewed the driver"},
                         headers=auth(If_Match='"2"'))

    assert created(first, 201) == {"investigation_id": case.id, "entry_version": 2, "version": 2}
    assert first.headers["ETag"] == '"2"'
    assert created(second, 201)["version"] == 3
    assert second.headers["ETag"] == '"3"'
    assert int(second.headers["Pathways-Log-Position"]) > int(first.headers["Pathways-Log-Position"])
    assert client.get(case.url, headers=auth()).headers["ETag"] == '"3"'


def test_adding_a_subject_answers_it_with_its_identifiers_normalised(client):
    case = open_case(client)

    response = client.post(f"{case.url}/subjects", json={
        "kind": "person", "name": "Juan Perez", "role": "transporter", "date_of_birth": "1980-04-02",
        "identifiers": [{"type": "phone", "value": "+52 (962) 123-4567"}, {"type": "email", "value": "JP@Example.ORG"}],
    }, headers=auth())

    body = created(response, 201)
    assert body["investigation_id"] == case.id
    assert body["entry_version"] == body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert (body["kind"], body["name"], body["role"], body["date_of_birth"]) == (
        "person", "Juan Perez", "transporter", "1980-04-02")
    assert [(i["type"], i["value"]) for i in body["identifiers"]] == [
        ("phone", "+529621234567"), ("email", "jp@example.org")]
    assert re.fullmatch(r"[0-9a-f-]{36}", body["subject_id"])


def test_sharing_adds_the_agency_to_shared_with(client):
    case = open_case(client)

    response = client.post(f"{case.url}/shares", json={"agency": "DEA", "access": "read"}, headers=auth())

    body = created(response, 200)
    assert body["shared_with"] == [{"agency": "DEA", "access": "read"}]
    assert body["version"] == 2 and response.headers["ETag"] == '"2"'
    assert created(client.get(case.url, headers=as_("dea_agent")), 200)["id"] == case.id


def test_revoking_a_share_removes_the_agency_and_hides_the_case_from_it(client):
    case = open_case(client)
    share(client, case, "DEA", "read")
    share(client, case, "CBP", "contribute")

    response = client.delete(f"{case.url}/shares/DEA", headers=auth())

    assert created(response, 200)["shared_with"] == [{"agency": "CBP", "access": "contribute"}]
    assert response.headers["ETag"] == '"4"'
    problem(client.get(case.url, headers=as_("dea_agent")), 404)


def test_revoking_a_share_that_does_not_exist_is_a_404(client):
    case = open_case(client)

    body = problem(client.delete(f"{case.url}/shares/DEA", headers=auth()), 404)

    assert "DEA" in body["detail"]


def test_changing_the_status_with_if_match_answers_the_new_status_and_version(client):
    case = open_case(client)

    response = client.post(f"{case.url}/status", json={"status": "active", "reason": "Opening approved"},
                           headers=as_("hsi_supervisor", If_Match='"1"'))

    body = created(response, 200)
    assert (body["status"], body["version"]) == ("active", 2)
    assert response.headers["ETag"] == '"2"'
    assert created(client.get(case.url, headers=auth()), 200)["status"] == "active"


def test_a_status_the_lifecycle_does_not_allow_is_a_422_naming_status(client):
    case = open_case(client)

    response = client.post(f"{case.url}/status", json={"status": "charged", "reason": "skipping ahead"},
                           headers=as_("hsi_supervisor", If_Match='"1"'))

    body = problem(response, 422)
    assert list(body["errors"]) == ["status"]
    assert created(client.get(case.url, headers=auth()), 200)["status"] == "opened"


def test_a_correction_is_a_new_event_that_changes_the_case_and_keeps_the_original(client):
    case = open_case(client, title="Smugling corridor")

    response = client.post(f"{case.url}/corrections", json={
        "corrects": 1, "changes": {"title": "Smuggling corridor"}, "reason": "typo"}, headers=auth(If_Match='"1"'))

    assert created(response, 201) == {"investigation_id": case.id, "entry_version": 2, "version": 2, "corrects": 1}
    assert response.headers["ETag"] == '"2"'
    assert created(client.get(case.url, headers=auth()), 200)["title"] == "Smuggling corridor"
    opened, corrected = _timeline(client, case)
    assert opened["data"]["title"] == "Smugling corridor"
    assert corrected["type"] == "entry_corrected"
    assert corrected["data"] == {"corrects": 1, "entry_kind": "opening", "entry_agency": "HSI", "subject_id": None,
                                 "changes": {"title": "Smuggling corridor"}, "reason": "typo"}


def test_a_correction_of_an_entry_that_does_not_exist_is_a_422_naming_corrects(client):
    case = open_case(client)

    response = client.post(f"{case.url}/corrections", json={"corrects": 9, "changes": {"title": "x"}, "reason": "r"},
                           headers=auth(If_Match='"1"'))

    assert list(problem(response, 422)["errors"]) == ["corrects"]


# --- history ------------------------------------------------------------------------------------------------

def test_the_timeline_lists_every_event_in_order_with_when_and_who(client):
    case = open_case(client)
    log_action(client, case)
    write(client, case, "POST", "/subjects", {"kind": "organization", "name": "Los Norteños", "role": "leader"},
          status=201)
    share(client, case, "CBP", "contribute")
    log_action(client, case, "cbp_agent", summary="Crossing at Laredo")
    write(client, case, "POST", "/status", {"status": "active", "reason": "approved"}, "hsi_supervisor",
          status=200, If_Match=f'"{case.version}"')
    write(client, case, "POST", "/corrections", {"corrects": 2, "changes": {"summary": "Interviewed both drivers"},
                                                 "reason": "incomplete"}, status=201, If_Match=f'"{case.version}"')

    response = client.get(f"{case.url}/timeline", headers=auth())

    body = created(response, 200)
    assert response.headers["ETag"] == f'"{case.version}"'
    items = body["items"]
    assert [i["type"] for i in items] == ["opened", "action_logged", "subject_added", "shared", "action_logged",
                                          "status_changed", "entry_corrected"]
    assert [i["version"] for i in items] == list(range(1, 8))
    assert all(set(i) == TIMELINE_FIELDS for i in items)
    assert [(i["actor"]["sub"], i["actor"]["agency"]) for i in items] == [
        ("alice", "HSI"), ("alice", "HSI"), ("alice", "HSI"), ("alice", "HSI"), ("carol", "CBP"), ("sam", "HSI"),
        ("alice", "HSI")]
    recorded = [datetime.fromisoformat(i["recorded_at"]) for i in items]
    assert recorded == sorted(recorded)
    assert all(datetime.fromisoformat(i["occurred_at"]).tzinfo is not None for i in items)
    assert items[4]["data"]["summary"] == "Crossing at Laredo"
    assert items[5]["data"]["to_status"] == "active"
    assert body["next_cursor"] is None


def test_the_timeline_keeps_when_it_happened_apart_from_when_it_was_recorded(client):
    case = open_case(client)

    write(client, case, "POST", "/actions", {"kind": "arrest", "summary": "Arrested the driver",
                                             "occurred_at": "2024-03-01T10:00:00+00:00"}, status=201)

    action = _timeline(client, case)[1]
    assert datetime.fromisoformat(action["occurred_at"]) == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert datetime.fromisoformat(action["recorded_at"]).year >= 2025


def test_the_timeline_pages_with_a_cursor(client):
    case = open_case(client)
    for n in range(4):
        log_action(client, case, summary=f"action {n}")

    first = created(client.get(f"{case.url}/timeline?limit=3", headers=auth()), 200)
    second = created(client.get(f"{case.url}/timeline?limit=3&cursor={first['next_cursor']}", headers=auth()), 200)

    assert [i["version"] for i in first["items"]] == [1, 2, 3]
    assert [i["version"] for i in second["items"]] == [4, 5]
    assert second["next_cursor"] is None


def test_the_integrity_check_of_an_untouched_case_is_intact(client):
    case = open_case(client)
    log_action(client, case)

    body = created(client.get(f"{case.url}/integrity", headers=auth()), 200)

    assert body["investigation_id"] == case.id
    assert (body["intact"], body["events"], body["first_broken"]) == (True, 2, None)
    assert re.fullmatch(r"[0-9a-f]{64}", body["head"])


# --- the third agency rule ----------------------------------------------------------------------------------

def test_a_partner_agency_sees_only_its_own_share_in_shared_with(client):
    case = shared_case(client)

    owner_view = created(client.get(case.url, headers=as_("hsi_agent")), 200)
    dea_view = created(client.get(case.url, headers=as_("dea_agent")), 200)
    cbp_view = created(client.get(case.url, headers=as_("cbp_agent")), 200)

    assert owner_view["shared_with"] == [{"agency": "CBP", "access": "contribute"}, {"agency": "DEA", "access": "read"}]
    assert dea_view["shared_with"] == [{"agency": "DEA", "access": "read"}]
    assert cbp_view["shared_with"] == [{"agency": "CBP", "access": "contribute"}]


def test_a_partner_agency_sees_only_its_own_share_in_the_timeline(client):
    case = shared_case(client)

    def shares_seen_by(caller: str) -> list[str]:
        return [i["data"]["agency"] for i in _timeline(client, case, caller) if i["type"] == "shared"]

    assert shares_seen_by("hsi_agent") == ["DEA", "CBP"]
    assert shares_seen_by("dea_agent") == ["DEA"]
    assert shares_seen_by("cbp_agent") == ["CBP"]


def test_a_partner_agency_sees_only_its_own_share_in_the_case_list(client, worker):
    case = shared_case(client)

    listed = _list(client, "dea_agent", position=case.position)["items"]

    assert [(i["id"], i["shared_with"]) for i in listed] == [(case.id, [{"agency": "DEA", "access": "read"}])]


# --- the case list ------------------------------------------------------------------------------------------

def test_the_list_shows_the_case_just_opened_when_asked_for_its_log_position(client, worker):
    case = open_case(client)

    listed = _list(client, position=case.position)

    assert [i["id"] for i in listed["items"]] == [case.id]
    assert set(listed["items"][0]) == CASE_FIELDS
    assert listed["items"][0]["case_number"] == case.body["case_number"]
    assert listed["next_cursor"] is None


def test_the_list_reflects_writes_after_the_opening(client, worker):
    case = open_case(client)
    log_action(client, case)

    item = _list(client, position=case.position)["items"][0]

    assert (item["id"], item["version"]) == (case.id, 2)


def test_the_list_filters_by_status(client, worker):
    quiet, busy = open_case(client), open_case(client)
    write(client, busy, "POST", "/status", {"status": "active", "reason": "approved"}, "hsi_supervisor", status=200,
          If_Match='"1"')

    active = _list(client, position=busy.position, status="active")["items"]
    opened = _list(client, position=busy.position, status="opened")["items"]

    assert [i["id"] for i in active] == [busy.id]
    assert [i["id"] for i in opened] == [quiet.id]


def test_the_list_filters_by_threat_domain(client, worker):
    drugs = open_case(client, threat_domain="drug_trafficking")
    last = open_case(client, threat_domain="money_laundering")

    listed = _list(client, position=last.position, threat_domain="drug_trafficking")["items"]

    assert [i["id"] for i in listed] == [drugs.id]


def test_the_list_filters_by_owning_agency(client, worker):
    own = open_case(client, "hsi_agent")
    partners = open_case(client, "dea_agent")
    share(client, partners, "HSI", "read", caller="dea_agent")

    dea_owned = _list(client, position=partners.position, agency="DEA")["items"]
    hsi_owned = _list(client, position=partners.position, agency="HSI")["items"]

    assert [i["id"] for i in dea_owned] == [partners.id]
    assert [i["id"] for i in hsi_owned] == [own.id]


def test_the_list_pages_with_a_cursor_without_duplicates(client, worker):
    cases = [open_case(client, title=f"case {n}") for n in range(5)]
    position = cases[-1].position

    pages, cursor = [], None
    while True:
        page = _list(client, position=position, limit=2, **({"cursor": cursor} if cursor else {}))
        pages.append([i["id"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "the cursor never ends"

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [c.id for c in reversed(cases)]


def test_the_list_refuses_a_limit_over_its_maximum(client):
    body = problem(client.get(f"{CASES}?limit=101", headers=auth()), 422)

    assert list(body["errors"]) == ["limit"]


# --- retries and request ids --------------------------------------------------------------------------------

def test_an_idempotent_retry_answers_the_first_response_and_writes_once(client):
    case = open_case(client)
    payload = {"kind": "seizure", "summary": "Seized 12 kg at the checkpoint"}

    first = client.post(f"{case.url}/actions", json=payload, headers=auth(Idempotency_Key="seizure-0001"))
    retry = client.post(f"{case.url}/actions", json=payload, headers=auth(Idempotency_Key="seizure-0001"))

    assert (retry.status_code, retry.get_json()) == (first.status_code, created(first, 201))
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert [i["type"] for i in _timeline(client, case)] == ["opened", "action_logged"]


def test_an_idempotent_retry_of_an_opening_opens_one_case(client, worker):
    payload = {"title": "Retried opening", "threat_domain": "weapons_trafficking"}

    first = client.post(CASES, json=payload, headers=auth(Idempotency_Key="open-7"))
    retry = client.post(CASES, json=payload, headers=auth(Idempotency_Key="open-7"))

    assert (retry.status_code, retry.get_json()) == (201, created(first, 201))
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    listed = _list(client, position=int(retry.headers["Pathways-Log-Position"]))["items"]
    assert [i["id"] for i in listed] == [first.get_json()["id"]]


def test_the_same_idempotency_key_in_another_agency_is_another_request(client):
    hsi_case, dea_case = open_case(client, "hsi_agent"), open_case(client, "dea_agent")

    hsi = log_action(client, hsi_case, "hsi_agent", summary="same words", Idempotency_Key="shared-key")
    dea = log_action(client, dea_case, "dea_agent", summary="same words", Idempotency_Key="shared-key")

    assert (hsi["investigation_id"], dea["investigation_id"]) == (hsi_case.id, dea_case.id)


def test_a_malformed_idempotency_key_is_a_422_naming_it(client):
    case = open_case(client)

    response = client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "x"},
                           headers=auth(Idempotency_Key="has spaces in it"))

    assert list(problem(response, 422)["errors"]) == ["Idempotency-Key"]


def test_a_request_id_sent_by_the_client_is_echoed(client):
    response = client.get(CASES, headers=auth(X_Request_ID="trace-abc.123"))

    assert response.headers["X-Request-ID"] == "trace-abc.123"


@pytest.mark.parametrize("sent", ["", "has spaces", "x" * 65, "semi;colon"], ids=["empty", "spaces", "too long",
                                                                                   "punctuation"])
def test_an_unusable_request_id_is_replaced_by_a_fresh_one(client, sent):
    response = client.get(CASES, headers=auth(X_Request_ID=sent))

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_an_error_carries_the_request_id_in_its_header_and_body(client):
    response = client.get(f"{CASES}/00000000-0000-0000-0000-000000000000", headers=auth(X_Request_ID="req-404"))

    assert response.headers["X-Request-ID"] == "req-404"
    assert problem(response, 404)["request_id"] == "req-404"


def test_the_subjects_list_shows_each_subject_with_its_corrections_applied(client):
    case = open_case(client)
    added = client.post(f"{case.url}/subjects", json={"kind": "person", "name": "Juan Perz", "role": "transporter"},
                        headers=auth()).get_json()
    client.post(f"{case.url}/corrections", headers=auth(If_Match=f'"{added["version"]}"'),
                json={"corrects": added["entry_version"], "changes": {"name": "Juan Perez"}, "reason": "typo"})
    listed = client.get(f"{case.url}/subjects", headers=auth())
    assert listed.status_code == 200 and listed.headers["ETag"] == '"3"'
    assert [(s["subject_id"], s["name"]) for s in listed.get_json()["items"]] == [(added["subject_id"], "Juan Perez")]
