"""A case replayed as it stood: `as_of` bounds when things happened, `known_at` when they were recorded."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.api.support import as_, created, open_case, write


def history(client: Any, case: Any, caller: str = "hsi_agent", **times: str) -> dict[str, Any]:
    query = "&".join(f"{name}={quote(value)}" for name, value in times.items())
    return created(client.get(f"{case.url}/history?{query}", headers=as_(caller)), 200)


def recorded_at(client: Any, case: Any, version: int) -> str:
    items = created(client.get(f"{case.url}/timeline", headers=as_("hsi_agent")), 200)["items"]
    return next(item["recorded_at"] for item in items if item["version"] == version)


def renamed(client: Any) -> Any:
    """A case whose opening (version 1) was corrected by version 3, after an action (version 2)."""
    case = open_case(client, title="Route 9")
    write(client, case, "POST", "/actions", {"kind": "interview", "summary": "First meeting"}, status=201)
    write(client, case, "POST", "/corrections", {"corrects": 1, "changes": {"title": "Route 9 north"},
                                                 "reason": "wrong corridor"}, status=201, If_Match='"2"')
    return case


def test_known_at_before_a_correction_shows_the_entry_as_it_was_first_recorded(client):
    case = renamed(client)

    stood = history(client, case, known_at=recorded_at(client, case, 2))

    assert (stood["state"]["title"], stood["known_version"]) == ("Route 9", 2)
    assert [item["corrected_by"] for item in stood["items"]] == [[], []]


def test_without_known_at_the_corrected_entry_shows_its_correction(client):
    case = renamed(client)

    stood = history(client, case)

    assert stood["state"]["title"] == "Route 9 north"
    assert {item["version"]: item["corrected_by"] for item in stood["items"]}[1] == [3]


def test_as_of_leaves_out_what_had_not_happened_yet(client):
    case = open_case(client)
    write(client, case, "POST", "/actions", {"kind": "interview", "summary": "Later meeting"}, status=201)

    stood = history(client, case, as_of=recorded_at(client, case, 1))

    assert [item["version"] for item in stood["items"]] == [1]


def test_a_corrected_time_moves_the_entry_to_when_it_happened(client):
    case = open_case(client)
    write(client, case, "POST", "/actions", {"kind": "interview", "summary": "Meeting"}, status=201)
    write(client, case, "POST", "/corrections", {"corrects": 2, "changes": {"occurred_at": "2026-01-05T10:00:00Z"},
                                                 "reason": "it happened in January"}, status=201, If_Match='"2"')

    stood = history(client, case, as_of="2026-02-01T00:00:00Z")

    assert [item["version"] for item in stood["items"]] == [2, 3] and stood["state"] is None


def test_a_time_without_its_offset_is_refused_naming_the_field(client):
    case = open_case(client)

    response = client.get(f"{case.url}/history?as_of=2026-02-01T00:00:00", headers=as_("hsi_agent"))

    assert response.status_code == 422 and "as_of" in response.json["errors"]


def test_an_agency_the_case_is_not_shared_with_is_told_nothing(client):
    case = open_case(client)

    assert client.get(f"{case.url}/history", headers=as_("fbi_agent")).status_code == 404
