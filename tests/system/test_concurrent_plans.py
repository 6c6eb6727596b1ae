"""System test: twelve agencies plan a raid at the same spot and time at once, through real gunicorn workers.

Every pair must be detected exactly once (reported to the later of the two, in its answer), each conflict read
back must name exactly its pair, each party must see the other as its counterpart and a third agency nothing;
and no answer may carry another agency's investigation id (pointer discipline).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from tests.conftest import token
from tests.system.test_served import PATHWAYS, REPO, call, free_port, stop, wait_ready

pytestmark = pytest.mark.system
AGENCIES = [f"AG{n:02d}" for n in range(1, 13)]
WORKERS = "3"


@pytest.fixture
def deployment(env, tmp_path):
    """Migrate once, then gunicorn (3 sync workers, CREATE_TABLE=n) and one projection worker, as in production."""
    port = free_port()
    (tmp_path / "metrics").mkdir()
    child_env = {**os.environ, **env, "CREATE_TABLE": "n", "PATHWAYS_BIND": f"127.0.0.1:{port}",
                 "PATHWAYS_WORKERS": WORKERS, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    subprocess.run([*PATHWAYS, "migrate"], env=child_env, cwd=REPO, check=True, capture_output=True)
    server_log = tmp_path / "gunicorn.stderr"
    with open(server_log, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                  env=child_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)
    workers = [subprocess.Popen([*PATHWAYS, "worker"], env=child_env, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        yield {"base": base, "env": child_env}
    finally:
        for proc in [server, *workers]:
            stop(proc)
        # Shown by pytest only when the test fails: what the workers said (errors, retries, tracebacks).
        lines = server_log.read_text(errors="replace").splitlines()
        print(f"--- gunicorn stderr ({len(lines)} lines, last 200) ---", *lines[-200:], sep="\n")


def test_twelve_agencies_planning_the_same_raid_at_once_are_each_paired_exactly_once(deployment):
    base = deployment["base"]
    agents = {agency: token(f"agent-{agency.lower()}", agency, ("agent",)) for agency in AGENCIES}
    coordinator = token("joc-coordinator", "JOC", ("coordinator",))

    # Each agency opens its own investigation, one after the other.
    cases = {}
    for agency in AGENCIES:
        status, _, created = call(base, "POST", "/api/v1/investigations",
                                  {"title": f"{agency} stash house", "threat_domain": "drug_trafficking"},
                                  agents[agency])
        assert status == 201, (agency, status, created)
        cases[agency] = created["id"]

    # Then all twelve plan a raid at the same spot and time, released together by a barrier.
    starts_at = (datetime.now(UTC) + timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)
    barrier = threading.Barrier(len(AGENCIES))

    def plan(agency: str) -> tuple[int, dict]:
        body = {"investigation_id": cases[agency], "kind": "raid", "location": {"lat": 40.7128, "lon": -74.0060},
                "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=3)).isoformat(),
                "point_of_contact": {"name": f"Sgt {agency}", "phone": f"+1 212 555 01{AGENCIES.index(agency):02d}"},
                "undercover": False, "armed_subjects": True}
        barrier.wait(timeout=30)
        status, _, answer = call(base, "POST", "/api/v1/operations", body, agents[agency])
        return status, answer

    with ThreadPoolExecutor(len(AGENCIES)) as pool:
        answers = dict(zip(AGENCIES, pool.map(plan, AGENCIES), strict=True))

    refused = {agency: (status, answer) for agency, (status, answer) in answers.items() if status != 201}
    assert not refused, f"plans not accepted: {refused}"
    plans = {agency: answer for agency, (_, answer) in answers.items()}
    numbers = {agency: answer["deconfliction_number"] for agency, answer in plans.items()}
    operations = {agency: answer["id"] for agency, answer in plans.items()}
    assert len(set(numbers.values())) == len(AGENCIES) and len(set(operations.values())) == len(AGENCIES)

    # Pointer discipline: an answer carries its own case's id and no other agency's.
    for agency, answer in plans.items():
        assert answer["investigation_id"] == cases[agency] and answer["owning_agency"] == agency
        text = json.dumps(answer)
        leaked = [other for other in AGENCIES if other != agency and cases[other] in text]
        assert not leaked, f"{agency}'s answer carries the investigation ids of {leaked}"

    # Each pair is reported once, to whichever of the two was checked second: 0 + 1 + ... + 11 = 66 mentions.
    mentions = [(agency, conflict) for agency, answer in plans.items()
                for conflict in answer["deconfliction"]["conflicts"]]
    found = Counter(len(answer["deconfliction"]["conflicts"]) for answer in plans.values())
    assert len(mentions) == 66, f"{len(mentions)} conflict mentions; conflicts per answer: {sorted(found.items())}"
    assert sorted(found) == list(range(12)), f"conflicts per answer: {sorted(found.items())}"
    ids = Counter(conflict["id"] for _, conflict in mentions)
    assert len(ids) == 66, f"{len(ids)} distinct conflict ids; repeated: {[i for i, n in ids.items() if n > 1]}"
    pairs = Counter(frozenset((agency, conflict["counterpart"]["agency"])) for agency, conflict in mentions)
    assert all(len(pair) == 2 for pair in pairs), [sorted(p) for p in pairs if len(p) != 2]
    assert set(pairs) == {frozenset(pair) for pair in combinations(AGENCIES, 2)}
    assert set(pairs.values()) == {1}, [sorted(p) for p, n in pairs.items() if n != 1]
    for agency, conflict in mentions:
        other = conflict["counterpart"]["agency"]
        assert conflict["status"] == "detected" and conflict["kind"] == "event_proximity", conflict
        assert conflict["own"] == {"operation_id": operations[agency], "subject_id": None,
                                   "deconfliction_number": numbers[agency]}
        assert conflict["counterpart"]["deconfliction_number"] == numbers[other]
        assert conflict["counterpart"]["point_of_contact"]["name"] == f"Sgt {other}"
        assert answers[agency][1]["deconfliction"]["status"] == "conflict"
    first = [agency for agency, answer in plans.items() if not answer["deconfliction"]["conflicts"]]
    assert len(first) == 1 and plans[first[0]]["deconfliction"]["status"] == "cleared"

    # Each conflict read back: a coordinator sees both pointers, each party the other, a third agency nothing.
    pair_of = {conflict["id"]: frozenset((agency, conflict["counterpart"]["agency"])) for agency, conflict in mentions}

    def read_back(conflict_id: str) -> list[str]:
        problems = []
        pair = pair_of[conflict_id]
        path = f"/api/v1/deconfliction/conflicts/{conflict_id}"
        status, _, seen = call(base, "GET", path, bearer=coordinator)
        if status != 200:
            return [f"{conflict_id}: coordinator got {status} {seen}"]
        parties = [p["agency"] for p in seen.get("parties", [])]
        if len(parties) != 2 or set(parties) != pair:
            problems.append(f"{conflict_id}: parties {parties}, expected {sorted(pair)}")
        if any(case in json.dumps(seen) for case in cases.values()):
            problems.append(f"{conflict_id}: the coordinator's view carries an investigation id")
        for agency in pair:
            (other,) = pair - {agency}
            status, _, seen = call(base, "GET", path, bearer=agents[agency])
            if status != 200:
                problems.append(f"{conflict_id}: party {agency} got {status} {seen}")
                continue
            counterpart = seen.get("counterpart", {})
            if counterpart.get("agency") != other or counterpart.get("deconfliction_number") != numbers[other]:
                problems.append(f"{conflict_id}: {agency} sees counterpart {counterpart}, expected {other}")
            if seen.get("own", {}).get("operation_id") != operations[agency]:
                problems.append(f"{conflict_id}: {agency} sees own {seen.get('own')}")
            text = json.dumps(seen)
            leaked = [a for a in AGENCIES if a != agency and cases[a] in text]
            if leaked:
                problems.append(f"{conflict_id}: {agency}'s view carries the investigation ids of {leaked}")
        third = next(a for a in AGENCIES if a not in pair)
        status, _, seen = call(base, "GET", path, bearer=agents[third])
        if status != 404:
            problems.append(f"{conflict_id}: third agency {third} got {status} {seen}, expected 404")
        return problems

    with ThreadPoolExecutor(6) as pool:
        problems = [problem for found in pool.map(read_back, sorted(pair_of)) for problem in found]
    assert not problems, "\n".join(problems)
