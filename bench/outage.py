"""A PostgreSQL outage under load, through the real deployment: how long requests wait, what they answer, recovery.

    .venv/bin/python bench/outage.py [--clients 16] [--workers 2] [--faults stop:5,stop:30,blackhole:10]
                                     [--client-timeout 10]

1. a fresh schema, `pathways migrate`, then gunicorn (CREATE_TABLE=n) and `pathways worker`, whose every
   PostgreSQL connection passes through a TCP proxy on 127.0.0.1 (tests/system/tcp_proxy.py);
2. for each fault in turn: `--clients` threads open cases without pause, each for its own agency (no races for
   one case-number sequence), with a client timeout; 3 s of normal load, then the fault for its seconds
   (`stop`: connections dropped and new ones refused, as a stopped server; `blackhole`: connections accepted
   and never answered, as a partitioned network), then 5 s after restoring; /readyz is polled every 0.25 s;
3. per phase (answered before the fault, in flight at it, started during it, started after the restore):
   requests, statuses, the slowest and p99 wait, client timeouts, 503s without Retry-After; the time
   from the fault to the first 503 and from the restore to the first 201; /readyz's answers and slowest wait;
   at the end every case answered 201 is read back: `lost` counts those not found;
4. prints a markdown table and writes the raw results to bench/results/outage_<timestamp>.json.

Everything runs on 127.0.0.1 and stops by itself (each phase has a fixed length, every request a timeout).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PG, VENV_BIN, Deployment, pg_exec, store_env  # noqa: E402
from bench.load import percentile  # noqa: E402
from bench.report import machine  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.tokens import mint_dev_token  # noqa: E402
from tests.system.tcp_proxy import Proxy  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BEFORE_SECONDS, AFTER_SECONDS, READYZ_EVERY = 3.0, 5.0, 0.25


@dataclass
class Answer:
    started: float
    seconds: float
    status: int  # 0: no answer within the client timeout (or the connection failed)
    retry_after: bool = False
    agency: str = ""
    case_id: str | None = None
    detail: str = ""  # a problem's detail


@dataclass
class Log:
    writes: list[Answer] = field(default_factory=list)
    readyz: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, answer: Answer) -> None:
        with self.lock:
            getattr(self, kind).append(answer)


def call(port: int, method: str, path: str, timeout: float, token: str | None = None,
         body: Any = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except (OSError, http.client.HTTPException):
        return 0, {}, b""
    finally:
        conn.close()


def writer(port: int, token: str, agency: str, timeout: float, log: Log, done: threading.Event) -> None:
    while not done.is_set():
        started = time.monotonic()
        status, headers, body = call(port, "POST", "/api/v1/investigations", timeout, token,
                                     {"title": "Outage bench", "threat_domain": "cybercrime"})
        answer = json.loads(body) if body[:1] == b"{" else {}
        log.add("writes", Answer(started, time.monotonic() - started, status, "retry-after" in headers, agency,
                                 answer.get("id") if status == 201 else None, answer.get("detail", "")))
        if status != 201:
            time.sleep(0.05)  # a client that backs off a little, not a tight loop of refusals


def poll_readyz(port: int, timeout: float, log: Log, done: threading.Event) -> None:
    while not done.wait(READYZ_EVERY):
        started = time.monotonic()
        status, headers, _ = call(port, "GET", "/readyz", timeout)
        log.add("readyz", Answer(started, time.monotonic() - started, status, "retry-after" in headers))


def phase(answers: list[Answer], start: float, end: float) -> dict[str, Any]:
    mine = [a for a in answers if start <= a.started < end]
    waits = sorted(a.seconds for a in mine)
    return {"requests": len(mine), "statuses": dict(Counter(a.status for a in mine)),
            "max_s": round(waits[-1], 3) if waits else None,
            "p99_s": round(percentile(waits, 0.99) or 0, 3) if waits else None,
            "unanswered": sum(a.status == 0 for a in mine),
            "refusals": dict(Counter(a.detail for a in mine if a.status >= 400)),
            "503_without_retry_after": sum(a.status == 503 and not a.retry_after for a in mine)}


def first(answers: list[Answer], since: float, status: int) -> float | None:
    times = [a.started + a.seconds for a in answers if a.started >= since and a.status == status]
    return round(min(times) - since, 3) if times else None


def run_fault(kind: str, seconds: float, proxy: Proxy, port: int, tokens: dict[str, str],
              client_timeout: float) -> tuple[dict[str, Any], Log]:
    log, done = Log(), threading.Event()
    threads = [threading.Thread(target=writer, args=(port, token, agency, client_timeout, log, done), daemon=True)
               for agency, token in tokens.items()]
    threads.append(threading.Thread(target=poll_readyz, args=(port, client_timeout, log, done), daemon=True))
    for thread in threads:
        thread.start()
    t0 = time.monotonic()
    time.sleep(BEFORE_SECONDS)
    faulted = time.monotonic()
    if kind == "stop":
        proxy.cut()
    else:
        proxy.blackhole()
    time.sleep(seconds)
    restored = time.monotonic()
    proxy.start()
    time.sleep(AFTER_SECONDS)
    done.set()
    give_up = time.monotonic() + client_timeout + 5
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    ended = time.monotonic()
    answered_before = [a for a in log.writes if a.started + a.seconds < faulted]
    return {
        "fault": kind, "fault_seconds": seconds,
        "writes": {"before": phase(answered_before, t0, faulted),
                   "in flight at the fault": phase([a for a in log.writes if a not in answered_before], t0, faulted),
                   "during": phase(log.writes, faulted, restored), "after": phase(log.writes, restored, ended)},
        "first_503_after_fault_s": first(log.writes, faulted, 503),
        "first_201_after_restore_s": first(log.writes, restored, 201),
        "readyz": {"during": phase(log.readyz, faulted, restored), "after": phase(log.readyz, restored, ended),
                   "first_200_after_restore_s": first(log.readyz, restored, 200)},
    }, log


def lost(port: int, tokens: dict[str, str], answers: list[Answer], client_timeout: float) -> int:
    """Cases answered 201 that cannot be read back now."""
    return sum(call(port, "GET", f"/api/v1/investigations/{a.case_id}", client_timeout, tokens[a.agency])[0] != 200
               for a in answers if a.case_id)


def markdown(result: dict[str, Any]) -> str:
    rows = ["| fault | phase | requests | statuses | slowest s | p99 s | unanswered | 503 w/o Retry-After |",
            "|---|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        name = f"{run['fault']} {run['fault_seconds']:g} s"
        for phase_name, p in run["writes"].items():
            rows.append(f"| {name} | writes {phase_name} | {p['requests']} | {p['statuses']} | {p['max_s']} | "
                        f"{p['p99_s']} | {p['unanswered']} | {p['503_without_retry_after']} |")
        r = run["readyz"]["during"]
        rows.append(f"| {name} | /readyz during | {r['requests']} | {r['statuses']} | {r['max_s']} | {r['p99_s']} | "
                    f"{r['unanswered']} | {r['503_without_retry_after']} |")
    rows.append("")
    rows.append("| fault | first 503 after the fault, s | first 201 after the restore, s | "
                "/readyz 200 after the restore, s | 201s lost |")
    rows.append("|---|---|---|---|---|")
    for run in result["runs"]:
        rows.append(f"| {run['fault']} {run['fault_seconds']:g} s | {run['first_503_after_fault_s']} | "
                    f"{run['first_201_after_restore_s']} | {run['readyz']['first_200_after_restore_s']} | "
                    f"{run['lost']} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--faults", default="stop:5,stop:30,blackhole:10",
                        help="comma-separated stop:<seconds> or blackhole:<seconds>, run in turn")
    parser.add_argument("--client-timeout", type=float, default=10.0)
    args = parser.parse_args()
    faults = [(kind, float(seconds)) for kind, seconds in (f.split(":") for f in args.faults.split(","))]
    if any(kind not in ("stop", "blackhole") or not 0 < seconds <= 120 for kind, seconds in faults):
        parser.error("each fault is stop:<seconds> or blackhole:<seconds>, at most 120 s")

    secret, schema = secrets.token_urlsafe(24), f"bench_{secrets.token_hex(4)}"
    tmp = Path(tempfile.mkdtemp(prefix="pathways-bench-outage-"))
    proxy = Proxy((PG["POSTGRES_HOST"], int(PG["POSTGRES_PORT"])))
    proxy.start()
    deployment: Deployment | None = None
    result: dict[str, Any] = {"clients": args.clients, "workers": args.workers, "client_timeout": args.client_timeout,
                              "machine": machine(), "loadavg_before": os.getloadavg(), "runs": []}
    try:
        env = {**store_env("postgres", tmp / "api", schema, secret), "POSTGRES_PORT": str(proxy.port)}
        settings = Settings.from_env(env)
        result["store_wait_seconds"] = getattr(settings, "store_wait", None)  # None: before bounded waits
        migrate = subprocess.run([str(VENV_BIN / "pathways"), "migrate"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        if migrate.returncode != 0:
            raise RuntimeError(f"pathways migrate failed ({migrate.returncode}):\n{migrate.stdout}{migrate.stderr}")
        deployment = Deployment(env, tmp / "run", args.workers)
        deployment.start()
        tokens = {f"B{n}": mint_dev_token(settings.auth, sub=f"bench-{n}", agency=f"B{n}", roles=["agent"],
                                          name=f"Bench {n}") for n in range(args.clients)}
        writes: list[Answer] = []
        for kind, seconds in faults:
            print(f"{kind} {seconds:g} s under {args.clients} writers", flush=True)
            run, log = run_fault(kind, seconds, proxy, deployment.port, tokens, args.client_timeout)
            run["lost"] = lost(deployment.port, tokens, log.writes, args.client_timeout)
            writes += log.writes
            result["runs"].append(run)
        result["server_log_problems"] = deployment.problems()[:30]
        result["exit_codes"] = deployment.stop()
        deployment = None
    finally:
        if deployment is not None:
            deployment.stop()
        proxy.cut()
        for name in (schema, f"{schema}_audit"):
            pg_exec(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"outage_{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    print(f"\nraw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
