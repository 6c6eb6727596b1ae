"""The deployment under test: store settings, gunicorn + the projection worker, CPU accounting, waiting for quiet."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
PG = {"POSTGRES_DBNAME": "test", "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432",
      "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": ""}
# Settings we set ourselves; inherited values would make the run depend on the caller's shell.
_OURS = ("PATHWAYS_", "POSTGRES_", "PERSISTENCE_MODULE", "SQLITE_", "CREATE_TABLE", "PROMETHEUS_MULTIPROC_DIR",
         "CIPHER_", "COMPRESSOR_TOPIC", "AGGREGATE_CACHE")


# --------------------------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_ticks(pid: int) -> tuple[int, int, str]:
    """(utime + stime, ppid, comm) of one process, from /proc (0 if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0, ""
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12]), int(fields[1]), comm


class CpuMeter:
    """Who used the machine's CPU during a scenario: the server (gunicorn + worker), the database
    (every postgres process), this client, and everything else (other users of this machine)."""

    def __init__(self) -> None:
        self.server_roots: set[int] = set()
        self.worker_root: int | None = None  # the projection worker (part of the server), also told apart

    def snapshot(self) -> dict[str, float]:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        busy = sum(cpu) - cpu[3] - (cpu[4] if len(cpu) > 4 else 0)  # minus idle and iowait
        procs = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                procs[int(entry)] = _proc_ticks(int(entry))
        server_pids = set(self.server_roots)
        grew = True
        while grew:  # the server roots and all their descendants
            more = {pid for pid, (_, ppid, _) in procs.items() if ppid in server_pids} - server_pids
            server_pids |= more
            grew = bool(more)
        me = os.getpid()
        groups = {"server": 0, "database": 0, "client": procs.get(me, (0,))[0],
                  "worker": procs.get(self.worker_root, (0,))[0] if self.worker_root else 0}
        for pid, (ticks, _, comm) in procs.items():
            if pid in server_pids:
                groups["server"] += ticks
            elif comm.startswith("postgres"):
                groups["database"] += ticks
        return {"busy": busy / _TICK, **{k: v / _TICK for k, v in groups.items()}}

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
        d = {k: after[k] - before[k] for k in before}
        ours = d["server"] + d["database"] + d["client"]
        return {"wall_seconds": round(seconds, 2), "capacity_cpu_seconds": round(seconds * (os.cpu_count() or 1), 2),
                "server": round(d["server"], 2), "database": round(d["database"], 2),
                "client": round(d["client"], 2), "other": round(max(0.0, d["busy"] - ours), 2),
                "worker": round(d["worker"], 2),
                "busy": round(d["busy"], 2)}

    def wait_for_quiet(self, max_wait: float, threshold: float = 0.25) -> dict[str, Any]:
        """Wait (up to max_wait s) until other processes use less than `threshold` cores for 2 s."""
        t0 = time.monotonic()
        seen = []
        while True:
            before = self.snapshot()
            time.sleep(2.0)
            used = self.used(before, self.snapshot(), 2.0)
            other = (used["other"] + used["database"]) / 2.0  # no database work of ours between scenarios
            seen.append(round(other, 2))
            if other < threshold or time.monotonic() - t0 >= max_wait:
                return {"waited_seconds": round(time.monotonic() - t0, 1), "other_cores": seen[-1],
                        "quiet": other < threshold}


METER = CpuMeter()


# --------------------------------------------------------------------------------------------- store and deployment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], port=int(PG["POSTGRES_PORT"]),
                         user=PG["POSTGRES_USER"], password=PG["POSTGRES_PASSWORD"], autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def throwaway_store(store: str, prefix: str) -> Iterator[tuple[Path, str | None]]:
    """A temporary directory and, on PostgreSQL, a schema bench_<random> (and its _audit schema): both dropped after."""
    tmp = Path(tempfile.mkdtemp(prefix=f"pathways-{prefix}-{store}-"))
    schema = f"bench_{secrets.token_hex(4)}" if store == "postgres" else None
    try:
        yield tmp, schema
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if schema is not None:
            for name in (schema, f"{schema}_audit"):
                pg_exec(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def cipher_key(on: bool) -> str | None:
    """A fresh PATHWAYS_CIPHER_KEY when a bench runs `--cipher` (events encrypted and compressed at rest), else None."""
    import base64

    return base64.b64encode(secrets.token_bytes(32)).decode() if on else None


CIPHER_HELP = "with PATHWAYS_CIPHER_KEY set: events encrypted (AES) and compressed at rest, as in production"


def store_env(store: str, data_dir: Path, schema: str | None, secret: str) -> dict[str, str]:
    env = _base_env()
    env.update(PATHWAYS_STORE=store, PATHWAYS_DATA_DIR=str(data_dir), PATHWAYS_AUTH_DEV_SECRET=secret)
    if store == "postgres":
        env.update(PG, POSTGRES_SCHEMA=schema or "public")
    return env


class Deployment:
    """gunicorn + the projection worker on one store, started and stopped as a deployment would."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int):
        self.port = _free_port()
        self.workdir = workdir
        metrics = workdir / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        self.env = {**env, "CREATE_TABLE": "n", "PATHWAYS_BIND": f"127.0.0.1:{self.port}",
                    "PATHWAYS_WORKERS": str(workers), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            # Own session: a Ctrl-C at the terminal reaches only us; we stop the children in order.
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def start(self, ready_timeout: float = 90.0) -> None:
        self._spawn("worker", [str(VENV_BIN / "pathways"), "worker"])
        self._spawn("gunicorn", [str(PYTHON), "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"])
        METER.server_roots = {p.pid for p in self.procs.values()}
        METER.worker_root = self.procs["worker"].pid
        deadline = time.monotonic() + ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} before /readyz:\n{self.tail(name)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    return
                last = f"{response.status}: {body[:300]!r}"
            except OSError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.2)
        raise RuntimeError(f"/readyz not 200 after {ready_timeout:.0f} s ({last}):\n{self.tail('gunicorn')}")

    def readiness(self) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/readyz")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def wait_caught_up(self, timeout: float = 120.0) -> float | None:
        """Seconds until every projection's lag is 0 (None if not within `timeout`)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            lag = self.readiness().get("checks", {}).get("projections", {}).get("lag", {})
            if lag and all(v == 0 for v in lag.values()):
                return time.monotonic() - t0
            time.sleep(0.1)
        return None

    def tail(self, name: str, lines: int = 60) -> str:
        log = self.logs.get(name)
        if not log or not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Log lines that speak of errors (tracebacks, worker timeouts, failed audit records)."""
        found = []
        for name, log in self.logs.items():
            if not log.exists():
                continue
            for line in log.read_text(errors="replace").splitlines():
                low = line.lower()
                if ("traceback" in low or '"level": "error"' in low or "[error]" in low or "critical" in low
                        or "exception" in low or "timeout" in low):
                    found.append(f"{name}: {line[:400]}")
        return found

    def stop(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for name in ("gunicorn", "worker"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
            codes[name] = proc.returncode
        self.procs.clear()
        METER.server_roots, METER.worker_root = set(), None
        return codes


# --------------------------------------------------------------------------------------------- others on the machine

OTHER_BENCHES = r"bench/(deconfliction_query|streams)\.py"


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def other_benches() -> list[str]:
    found = subprocess.run(["pgrep", "-af", OTHER_BENCHES], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if line.strip()]


def wait_for_other_benches(max_wait: float) -> dict[str, Any]:
    t0 = time.monotonic()
    seen: list[str] = []
    while True:
        running = other_benches()
        if not running:
            return {"waited_seconds": round(time.monotonic() - t0, 1), "seen": seen[:10], "clear": True}
        seen = sorted(set(seen) | {line.split(" ", 1)[1][:200] for line in running})
        if time.monotonic() - t0 >= max_wait:
            say(f"  other benches still running after {max_wait:.0f} s; measuring anyway: {running}")
            return {"waited_seconds": round(time.monotonic() - t0, 1), "seen": seen[:10], "clear": False}
        say(f"  waiting for other benches ({len(running)} processes): {running[0][:150]}")
        time.sleep(10)


class Watch:
    """pgrep for other benches every 2 s while a phase runs."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.done.wait(2.0):
            self.seen.update(line.split(" ", 1)[1][:200] for line in other_benches())

    def __enter__(self) -> Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done.set()
        self.thread.join(5)


def connections_per_worker(master_pid: int, port: int) -> list[int]:
    """Established connections to `port` held by each gunicorn worker (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "01":
                inodes.add(parts[9])
    counts = []
    for pid in worker_pids(master_pid):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        counts.append(sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes))
    return counts


def worker_pids(master_pid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == master_pid:
                pids.append(int(entry))
    return sorted(pids)


def join_threads(threads: list[threading.Thread], stop: threading.Event) -> None:
    """Wait for `threads`; on an interrupt, tell them to stop (they check `stop`) and pass it on."""
    try:
        for th in threads:
            while th.is_alive():
                th.join(0.2)
    except BaseException:
        stop.set()
        raise


def drive(worker: Any, specs: list[tuple[Any, ...]], seconds: float, stop: threading.Event) -> tuple[float, float,
                                                                                                       dict[str, Any]]:
    """Run `worker(index, *spec, go)` on a thread per spec for `seconds`: each calls `go()` once it is ready, which
    lets them all start together and returns the moment the window ends. (start, seconds taken, CPU used)."""
    barrier = threading.Barrier(len(specs) + 1)
    window: dict[str, float] = {}

    def go() -> float:
        barrier.wait()
        return window["end"]

    threads = [threading.Thread(target=worker, args=(i, *spec, go), daemon=True) for i, spec in enumerate(specs)]
    for th in threads:
        th.start()
    cpu_before = METER.snapshot()
    start = time.perf_counter()
    window["end"] = start + seconds
    barrier.wait()
    join_threads(threads, stop)
    took = time.perf_counter() - start
    return start, took, METER.used(cpu_before, METER.snapshot(), took)


def per_store_main(doc: str, bench_store: Any, markdown: Any, **options: int) -> int:
    """The command line of a bench run once per store: its `options` (name: default), --stores and --cipher; the
    results printed as markdown."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in options.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--cipher", action="store_true", help=CIPHER_HELP)
    args = parser.parse_args()
    print(markdown([bench_store(store, args) for store in args.stores.split(",")]))
    return 0
