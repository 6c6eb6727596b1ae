"""py-spy samples of the gunicorn workers during plans, split by what the request was doing and by the leaf."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness import VENV_BIN

STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


PHASES = (
    ("audit", ("audit",)),
    ("chain anchors", ("anchors.py",)),
    ("check: Conflict look-ups and settling", ("_settle_all", "_settle ")),
    ("check: AreaIndex records (load)", ("_areas ",)),
    ("check: TargetIndex records (load)", ("_targets ",)),
    ("check: index_keys / h3", ("index_keys", "index_cells")),
    ("check: proximity and rules", ("proximity", "address_match", "subject_match")),
    ("save (ledger.save)", ("_save (coordination/commands.py", "save (eventsourcing/application.py")),
    ("load the investigation (access check)", ("checked (coordination/commands.py",)),
    ("plan validation, new Operation", ("checked_plan", "plan_for")),
    ("response: view and JSON", ("checked_view", "dump", "jsonify", "dumps")),
    ("request: auth, parsing, schema", ("authenticate", "decode_token", "jwt", "_load", "load (marshmallow")),
)
# What the leaf was: the innermost of these frames (checked in this order).
LEAVES = (
    ("deepcopy (aggregate cache)", ("deepcopy", "_deepcopy", "_reconstruct")),
    ("database I/O and driver", ("sqlite3", "execute", "fetch", "psycopg", "_execute", "recv", "send", "commit",
                                 "wait (psycopg", "select_events", "insert_events", "_insert_events")),
    ("event transcoding (JSON)", ("transcod", "json", "encode", "decode", "JSONEncoder", "JSONDecoder")),
    ("domain events: construct / apply", ("mutate", "apply", "trigger_event", "__init__ (eventsourcing/domain",
                                          "_create", "to_domain_event", "from_domain_event")),
    ("hashing, uuid5", ("uuid5", "hmac", "sha")),
    ("h3", ("h3",)),
)


def profile_workers(master_pid: int, seconds: float, out: Path) -> Path | None:
    """py-spy raw (collapsed) stacks of every gunicorn worker for `seconds`."""
    spy = VENV_BIN / "py-spy"
    if not spy.exists():
        return None
    proc = subprocess.run([str(spy), "record", "-p", str(master_pid), "--subprocesses", "-d", str(int(seconds)),
                           "-r", "100", "-f", "raw", "--nonblocking", "-o", str(out)],
                          capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0 or not out.exists():
        say(f"  py-spy failed ({proc.returncode}): {proc.stderr[-500:]}")
        return None
    return out


def split_profile(raw: Path) -> dict[str, Any]:
    """Samples of plan requests split by phase (outermost match) and by leaf (innermost match)."""
    by_phase: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    cross: Counter[tuple[str, str]] = Counter()
    leaf_functions: Counter[str] = Counter()
    total = plan_total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        if not any("plan (coordination/operations.py" in f or "post (api/operations.py" in f for f in frames):
            continue  # not a plan request (the gthread acceptor, keep-alive handling, metrics, ...)
        plan_total += n
        phase = next((name for f in frames for name, marks in PHASES if any(m in f for m in marks)), "other")
        leaf = next((name for f in reversed(frames) for name, marks in LEAVES if any(m in f for m in marks)),
                    "other Python")
        by_phase[phase] += n
        by_leaf[leaf] += n
        cross[phase, leaf] += n
        leaf_functions[re.sub(r":\d+\)", ")", frames[-1])] += n
    return {"samples": total, "plan_samples": plan_total, "by_phase": by_phase.most_common(),
            "by_leaf": by_leaf.most_common(),
            "cross": [(p, lf, n) for (p, lf), n in cross.most_common(40)],
            "top_leaf_functions": leaf_functions.most_common(25)}


def profile_markdown(store: str, prof: dict[str, Any]) -> str:
    total = max(1, prof["plan_samples"])
    lines = [f"{STORE_NAMES[store]}: py-spy on both workers, {prof['plan_samples']:,} on-CPU samples in plan "
             f"requests (of {prof['samples']:,})", "",
             "| what the request was doing | share | of which: leaf kind (share of all) |", "|---|---:|---|"]
    for phase, n in prof["by_phase"]:
        leaves = [(lf, m) for p, lf, m in prof["cross"] if p == phase][:4]
        lines.append(f"| {phase} | {n / total:.0%} | "
                     f"{'; '.join(f'{lf} {m / total:.0%}' for lf, m in leaves)} |")
    lines += ["", "Leaf kinds overall: " + ", ".join(f"{lf} {n / total:.0%}" for lf, n in prof["by_leaf"])]
    return "\n".join(lines)
