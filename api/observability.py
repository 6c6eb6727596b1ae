"""One JSON log line per request, with its request id, and Prometheus request metrics."""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("pathways_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "pathways_http_request_seconds", "HTTP request latency", ["method", "endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


PROJECTION_LAG = Gauge(
    "pathways_projection_lag_events", "Events recorded in the ledger that a read model has not folded yet",
    ["projection"], multiprocess_mode="mostrecent",
)
LEDGER_POSITION = Gauge("pathways_ledger_position", "Position of the last event in the ledger",
                        multiprocess_mode="mostrecent")


def observe_readiness(report: dict) -> None:
    """Export what readiness found, so that an alert can fire on a worker that falls behind."""
    checks = report.get("checks", {})
    if "position" in checks.get("ledger", {}):
        LEDGER_POSITION.set(checks["ledger"]["position"])
    for name, lag in checks.get("projections", {}).get("lag", {}).items():
        PROJECTION_LAG.labels(name).set(lag)


def configure_logging() -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(method, endpoint).observe(seconds)
