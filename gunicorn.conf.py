"""gunicorn settings for Pathways: threaded workers, no shared control socket, a timeout that outlasts bounded waits."""

import gc
import os
import sys

bind = os.environ.get("PATHWAYS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PATHWAYS_WORKERS", "2"))
# Threads, not sync workers: a notification stream (Server-Sent Events) holds its connection for up to an hour,
# and a sync worker would give it the whole process. Each worker has enough threads that 200 open streams landing
# on one worker leave it threads for plans and appends (measured: bench/streams.py, docs/benchmarks.md).
worker_class = "gthread"
threads = int(os.environ.get("PATHWAYS_THREADS", "256"))
# gunicorn >= 25 opens a control socket at a shared default path; two instances on one host would collide.
control_socket_disable = True
# A request waits at most PATHWAYS_STORE_WAIT_SECONDS on each store that does not answer before its stores refuse
# at once (coordination/store_health.py; a request touches at most three), may wait for the read model
# (PATHWAYS_READ_WAIT_MAX_SECONDS), and retries lost races for up to 10 s (coordination.commands'
# RETRY_BUDGET_SECONDS): the worker must outlive all of them, or a slow store kills workers instead of answering 503.
_store_wait = float(os.environ.get("PATHWAYS_STORE_WAIT_SECONDS", "2"))
_read_wait = float(os.environ.get("PATHWAYS_READ_WAIT_MAX_SECONDS", "5"))
_retry_budget = 10.0
timeout = int(_retry_budget + _read_wait + 3 * _store_wait) + 20
graceful_timeout = 30
keepalive = 5
accesslog = None  # the app writes one JSON line per request itself
errorlog = "-"
loglevel = "info"


def on_starting(server):
    """Refuse to serve dev tokens beyond this host; checked here because `-b` on the command line overrides `bind`."""
    from coordination.config import ConfigError, refuse_dev_secret_off_loopback

    try:
        refuse_dev_secret_off_loopback(server.cfg.bind)
    except ConfigError as error:
        server.log.error("refusing to start: %s", error)
        sys.exit(f"refusing to start: {error}")


def child_exit(server, worker):
    """Drop a dead worker's metrics files so that /metrics sums only live workers' gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Keep what the worker loaded at start out of the cyclic collector's full passes.

    The app, its modules and its schemas live as long as the worker; a full collection would walk all of them
    again, holding the GIL for tens of milliseconds in whatever request runs then (bench/plan_latency.py).
    """
    gc.freeze()
