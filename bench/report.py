"""The benchmark's report: one markdown table per store, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path
from typing import Any

from bench.harness import PG


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:,.1f}" if isinstance(v, float) else str(v)


def markdown(result: dict[str, Any]) -> str:
    rows = {s["scenario"]: s for s in result["scenarios"]}
    lib = {"API distinct": rows.get("library distinct"), "API hot": rows.get("library hot")}
    lines = [
        f"### {result['store']}: {result['clients']} clients, {result['seconds']:g} s per scenario, "
        f"{result['workers']} gunicorn workers",
        "",
        "| scenario | appends/s | p50 ms | p95 ms | p99 ms | errors | API / library | stored exactly once "
        "| CPU s: server / db / client / other |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in result["scenarios"]:
        base = lib.get(s["scenario"])
        ratio = f"{s['rate'] / base['rate']:.2f}" if base and base["rate"] else ""
        errors = s["error_count"]
        if s["errors"]:
            errors = f"{errors} ({', '.join(f'{k}: {v}' for k, v in sorted(s['errors'].items()))})"
        if s["conflicts_retried"]:
            errors = f"{errors}; {s['conflicts_retried']} conflicts retried"
        v = s.get("verification") or {}
        once = "yes" if v.get("exactly_once") else "NO"
        if "created_201" in v:
            once += f" ({v['created_201']} x 201, {v['stored']} stored)"
        if v.get("hot_version") is not None:
            once += f"; version {v['hot_version']}"
        c = s.get("cpu") or {}
        cpu = (f"{c['server']:.1f} / {c['database']:.1f} / {c['client']:.1f} / {c['other']:.1f} "
               f"of {c['capacity_cpu_seconds']:.0f}") if c else ""
        lines.append(f"| {s['scenario']} | {s['rate']:,.1f} | {_fmt(s['p50_ms'])} | {_fmt(s['p95_ms'])} | "
                     f"{_fmt(s['p99_ms'])} | {errors} | {ratio} | {once} | {cpu} |")
    catch_up = result.get("projection_catch_up_seconds")
    caught = f"in {catch_up:.1f} s" if catch_up is not None else "NOT within 120 s"
    lines += ["", f"Projection worker caught up {caught} after the API scenarios. The HTTP clients share the machine's "
              f"{os.cpu_count()} cores with gunicorn, the worker and the database; the library baseline ran with "
              "the server stopped, from one process (its CPU counts as client). CPU s: CPU seconds used during "
              "the scenario by gunicorn + the projection worker, by PostgreSQL, by this process, and by anything "
              "else on the machine, out of cores x seconds."]
    load = " / ".join(f"{x:.2f}" for x in result["loadavg_before"])
    lines += [f"Load average (1/5/15 min) before this store: {load}."]
    if result.get("server_log_problems"):
        lines += ["", f"Server log lines that mention errors: {len(result['server_log_problems'])} (see the JSON)."]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                            if line.startswith("model name")), None)
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["ram_gib"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import psycopg

        with psycopg.connect(dbname=PG["POSTGRES_DBNAME"], host=PG["POSTGRES_HOST"], user=PG["POSTGRES_USER"],
                             password="", connect_timeout=3) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - not every run has PostgreSQL
        info["postgres"] = None
    from importlib.metadata import PackageNotFoundError, version

    for package in ("eventsourcing", "gunicorn", "Flask", "psycopg"):
        try:
            info[package.lower()] = version(package)
        except PackageNotFoundError:
            info[package.lower()] = None
    return info

