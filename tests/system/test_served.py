"""System tests: real gunicorn from wsgi.py and the real worker process, on 127.0.0.1, over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import token

pytestmark = pytest.mark.system
REPO = Path(__file__).resolve().parents[2]
PATHWAYS = [sys.executable, "-m", "coordination.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(
    base: str, method: str, path: str, body: dict | None = None, bearer: str | None = None
) -> tuple[int, dict, dict]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if bearer:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw and b"{" in raw[:1] else {}
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def wait_ready(base: str, proc: subprocess.Popen, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            if call(base, "GET", "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def deployment(env, tmp_path):
    """Migrate once, then gunicorn (2 sync workers, CREATE_TABLE=n) and one projection worker, as in production."""
    port = free_port()
    (tmp_path / "metrics").mkdir()
    child_env = {**os.environ, **env, "CREATE_TABLE": "n", "PATHWAYS_BIND": f"127.0.0.1:{port}",
                 "PATHWAYS_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    subprocess.run([*PATHWAYS, "migrate"], env=child_env, cwd=REPO, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              env=child_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([*PATHWAYS, "worker"], env=child_env, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        yield {"base": base, "env": child_env, "workers": workers}
    finally:
        for proc in [server, *workers]:
            stop(proc)


def test_gunicorn_serves_a_case_from_opening_to_the_list(deployment):
    base, alice = deployment["base"], token("alice", "HSI", ("agent",))
    status, headers, created = call(base, "POST", "/api/v1/investigations",
                                    {"title": "Route 9", "threat_domain": "human_smuggling"}, alice)
    assert status == 201 and created["case_number"].startswith("HSI-")
    status, headers, _ = call(base, "POST", f"/api/v1/investigations/{created['id']}/actions",
                              {"kind": "surveillance", "summary": "watched the stash house"}, alice)
    assert status == 201
    position = headers["Pathways-Log-Position"]
    status, _, page = call(base, "GET", f"/api/v1/investigations?min_position={position}", bearer=alice)
    assert status == 200 and [(i["id"], i["version"]) for i in page["items"]] == [(created["id"], 2)]


def test_a_worker_killed_mid_stream_is_replaced_and_the_list_misses_nothing(deployment):
    base, alice = deployment["base"], token("alice", "HSI", ("agent",))
    ids = []
    for n in range(20):
        if n == 10:
            deployment["workers"][0].kill()  # SIGKILL: no clean shutdown, possibly mid-batch
            deployment["workers"].append(subprocess.Popen([*PATHWAYS, "worker"], env=deployment["env"], cwd=REPO,
                                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        status, headers, created = call(base, "POST", "/api/v1/investigations",
                                        {"title": f"Case {n}", "threat_domain": "cybercrime"}, alice)
        ids.append(created["id"])
    position = headers["Pathways-Log-Position"]
    status, _, page = call(base, "GET", f"/api/v1/investigations?limit=100&min_position={position}", bearer=alice)
    assert status == 200 and sorted(i["id"] for i in page["items"]) == sorted(ids)


def test_prometheus_metrics_count_requests_across_gunicorn_workers(deployment):
    base, alice = deployment["base"], token("alice", "HSI", ("agent",))
    for _ in range(6):
        assert call(base, "GET", "/api/v1/investigations", bearer=alice)[0] == 200
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    line = next(line for line in text.splitlines() if line.startswith("pathways_http_requests_total{")
                and 'endpoint="investigations.InvestigationCollection"' in line and 'method="GET"' in line)
    assert float(line.rsplit(" ", 1)[1]) == 6.0


def test_pathways_serve_starts_everything_from_one_command(env):
    port = free_port()
    child_env = {**os.environ, **env}
    serve = subprocess.Popen([*PATHWAYS, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                             env=child_env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, serve)
        minted = subprocess.run([*PATHWAYS, "token", "--sub", "bob", "--agency", "DEA", "--roles", "agent"],
                                env=child_env, cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()
        status, headers, created = call(base, "POST", "/api/v1/investigations",
                                        {"title": "Buy-bust", "threat_domain": "drug_trafficking"}, minted)
        assert status == 201
        status, _, page = call(base, "GET",
                               f"/api/v1/investigations?min_position={headers['Pathways-Log-Position']}",
                               bearer=minted)
        assert [i["id"] for i in page["items"]] == [created["id"]]
    finally:
        stop(serve)
    assert serve.returncode == 0
