"""Operational routes: liveness, readiness with projection lag, and Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers; touches no store."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: every store answers; how far each projection trails the ledger."""
    report = current_app.extensions["pathways"].readiness()
    response = jsonify(report)
    if not report["ready"]:
        response.status_code = 503
        response.headers["Retry-After"] = "2"
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics, summed over every gunicorn worker when run under one."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
