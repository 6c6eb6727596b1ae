"""Eight clients appending to one investigation at once, through the API: every append stored, none twice."""

from __future__ import annotations

import threading

from tests.conftest import auth


def test_eight_threads_appending_through_the_api_store_every_append_exactly_once(app, client):
    created = client.post("/api/v1/investigations", json={"title": "Hot case", "threat_domain": "cybercrime"},
                          headers=auth()).get_json()
    statuses: list[int] = []

    def append(n: int) -> None:
        own_client = app.test_client()
        for i in range(10):
            response = own_client.post(f"/api/v1/investigations/{created['id']}/actions",
                                       json={"kind": "surveillance", "summary": f"client {n} note {i}"},
                                       headers=auth())
            statuses.append(response.status_code)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    timeline = client.get(f"/api/v1/investigations/{created['id']}/timeline?limit=500", headers=auth()).get_json()
    summaries = [e["data"]["summary"] for e in timeline["items"] if e["type"] == "action_logged"]
    assert statuses == [201] * 80
    assert sorted(summaries) == sorted(f"client {n} note {i}" for n in range(8) for i in range(10))
