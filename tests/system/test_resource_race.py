"""System test: eight commits of one named resource to eight operations at the same time, through real gunicorn
workers at once: exactly one wins, and every other is refused naming the winner's commitment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import token
from tests.system.test_concurrent_plans import deployment  # noqa: F401 - the fixture, shared
from tests.system.test_served import call

pytestmark = pytest.mark.system
OPERATIONS = 8


def test_one_of_eight_racing_commitments_of_a_resource_wins_and_the_rest_name_it(deployment):  # noqa: F811
    base = deployment["base"]
    hsi, dea = token("agent-hsi", "HSI", ("agent",)), token("agent-dea", "DEA", ("agent",))
    status, _, resource = call(base, "POST", "/api/v1/resources", {"kind": "tactical_team", "name": "SRT 2"}, dea)
    assert status == 201, resource
    status, _, case = call(base, "POST", "/api/v1/investigations",
                           {"title": "Eight raids", "threat_domain": "drug_trafficking"}, hsi)
    assert status == 201, case

    requests = []
    for n in range(OPERATIONS):  # far apart (no deconfliction conflict), all on the same morning
        status, _, op = call(base, "POST", "/api/v1/operations", {
            "investigation_id": case["id"], "kind": "search_warrant",
            "location": {"lat": 30.0 + n, "lon": -90.0}, "starts_at": "2031-05-01T06:00:00Z",
            "ends_at": f"2031-05-01T{8 + n:02d}:00:00Z", "point_of_contact": {"name": "Sgt Ruiz",
                                                                            "phone": "+1 305 555 0100"},
            "undercover": False, "armed_subjects": False}, hsi)
        assert status == 201, op
        status, _, asked = call(base, "POST", f"/api/v1/operations/{op['id']}/resources",
                                {"resource_id": resource["id"]}, hsi)
        assert status == 201, asked
        requests.append((op, asked))

    barrier = threading.Barrier(OPERATIONS)

    def commit(pair: tuple[dict, dict]) -> tuple[int, dict]:
        op, asked = pair
        barrier.wait(timeout=30)
        status, _, body = call(base, "POST", f"/api/v1/operations/{op['id']}/resources/{asked['id']}/commit", {},
                               dea)
        return status, body

    with ThreadPoolExecutor(OPERATIONS) as pool:
        answers = list(pool.map(commit, requests))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (OPERATIONS - 1), answers
    winner = next(op for (op, _), (status, _) in zip(requests, answers, strict=True) if status == 200)
    named = {c["deconfliction_number"] for status, body in answers if status == 409 for c in body["commitments"]}
    assert named == {winner["deconfliction_number"]}
