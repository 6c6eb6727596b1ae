"""What loading one investigation costs as its history grows (the hot-case slowdown in append_throughput.py).

    .venv/bin/python bench/load_cost.py [--sizes 100,1000,5000] [--store sqlite|postgres]

Every append first loads the case: with the aggregate cache on (AGGREGATE_CACHE_MAXSIZE, default 1000) the
library deep-copies the cached aggregate; without it, it reads the last snapshot and the events after it.
Both are measured in one process, on a fresh store, after logging actions through the use case.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coordination import bootstrap  # noqa: E402
from coordination.config import Settings  # noqa: E402
from coordination.context import RequestContext  # noqa: E402
from domain.envelope import Actor  # noqa: E402


def _timed(fn: Callable[[], object], repeat: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="pathways-load-cost-")
    env = {"PATHWAYS_STORE": args.store, "PATHWAYS_DATA_DIR": tmp, "PATHWAYS_AUTH_DEV_SECRET": secrets.token_hex(16)}
    schema = f"bench_{secrets.token_hex(4)}"
    if args.store == "postgres":
        env.update(POSTGRES_DBNAME="test", POSTGRES_HOST="127.0.0.1", POSTGRES_USER="postgres",
                   POSTGRES_PASSWORD="", POSTGRES_SCHEMA=schema)
    settings = Settings.from_env(env)
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    try:
        ctx = RequestContext(actor=Actor(sub="bench", agency="HSI", roles=frozenset({"agent"})), request_id="b")
        inv = services.investigations.open(ctx, title="Load cost", threat_domain="human_smuggling",
                                           summary=None).result["id"]
        repo, version = services.ledger.repository, 1
        print("| events | load with cache (deep copy) ms | load without cache (snapshot + tail) ms |")
        print("|---:|---:|---:|")
        for size in (int(s) for s in args.sizes.split(",")):
            while version < size:
                version = services.investigations.log_action(
                    ctx, inv, kind="interview", summary=f"entry {version}", occurred_at=None, location=None,
                    expected_version=None).result["version"]
            cached = _timed(lambda: repo.get(inv), 50)
            uncached = _timed(lambda v=version: repo.get(inv, version=v), 20)  # version= bypasses the cache
            print(f"| {version} | {cached:.2f} | {uncached:.2f} |")
    finally:
        services.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if args.store == "postgres":
            import psycopg

            with psycopg.connect(dbname="test", host="127.0.0.1", user="postgres", password="",
                                 autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}_audit" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
