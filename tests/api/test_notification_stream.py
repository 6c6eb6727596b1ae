"""The notification stream: Server-Sent Events of an agency's conflicts as they happen, resumable, pointer only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.api.support import as_, open_case, plan

STREAM = "/api/v1/notifications/stream"


def _events(response: Any) -> Iterator[dict[str, Any]]:
    """The stream's events (id and data), skipping its retry frame and keep-alive comments."""
    for chunk in response.response:
        frame = chunk.decode()
        if frame.startswith("id:"):
            lines = dict(line.split(": ", 1) for line in frame.strip().splitlines())
            yield {"id": lines["id"], "event": lines["event"], **json.loads(lines["data"])}


def _conflict(client: Any) -> dict[str, Any]:
    """HSI and DEA plan raids at one spot: one conflict, detected by DEA's plan."""
    plan(client, open_case(client, "hsi_agent"), lat=18.47, lon=-66.10)
    return plan(client, open_case(client, "dea_agent"), "dea_agent", lat=18.47, lon=-66.10)


def test_a_conflict_detected_while_the_stream_is_open_arrives_on_it(client, worker):
    response = client.get(STREAM, headers=as_("hsi_agent"), buffered=False)
    try:
        theirs = _conflict(client)
        event = next(_events(response))
    finally:
        response.close()

    assert (event["event"], event["change"]) == ("conflict", "detected")
    assert event["counterpart"]["deconfliction_number"] == theirs["deconfliction_number"]
    assert theirs["investigation_id"] not in json.dumps(event)


def test_a_stream_resumed_with_last_event_id_sends_only_what_came_after(client, worker):
    first = _conflict(client)
    response = client.get(STREAM, headers=as_("dea_agent"), buffered=False)
    try:
        seen = next(_events(response))
    finally:
        response.close()
    conflict_id = first["deconfliction"]["conflicts"][0]["id"]
    client.post(f"/api/v1/deconfliction/conflicts/{conflict_id}/acknowledge", json={}, headers=as_("hsi_agent"))

    resumed = client.get(STREAM, headers=as_("dea_agent", Last_Event_ID=seen["id"]), buffered=False)
    try:
        after = next(_events(resumed))
    finally:
        resumed.close()

    assert (seen["change"], after["change"]) == ("detected", "acknowledged")


def test_a_stream_carries_only_the_callers_agencys_notifications(client, worker):
    _conflict(client)
    plan(client, open_case(client, "cbp_agent"), "cbp_agent", lat=-12.0, lon=-77.0)
    plan(client, open_case(client, "fbi_agent"), "fbi_agent", lat=-12.0, lon=-77.0)
    response = client.get(STREAM, headers=as_("fbi_agent"), buffered=False)
    try:
        event = next(_events(response))
    finally:
        response.close()

    assert event["counterpart"]["agency"] == "CBP" and event["own"]["deconfliction_number"]


def test_the_cursor_of_an_agency_never_told_anything_is_accepted_back(client):
    first = client.get("/api/v1/notifications", headers=as_("fbi_agent")).get_json()

    again = client.get(f"/api/v1/notifications?cursor={first['next_cursor']}", headers=as_("fbi_agent"))

    assert again.status_code == 200 and again.get_json()["items"] == []
