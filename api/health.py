"""Operational routes: liveness, readiness with projection lag, and Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.blueprint import Blueprint
from api.observability import observe_readiness

blp = Blueprint("health", __name__, description="Liveness, readiness and metrics (no token needed).")


class LivenessSchema(ma.Schema):
    status = ma.fields.String(required=True)


class ReadinessSchema(ma.Schema):
    ready = ma.fields.Boolean(required=True)
    checks = ma.fields.Dict(required=True)


@blp.route("/healthz")
class Liveness(MethodView):
    """Whether the process answers."""

    @blp.doc(security=[])
    @blp.response(200, LivenessSchema)
    def get(self) -> dict[str, str]:
        """Liveness: the process answers; touches no store."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    """Whether the stores answer and how far read models trail."""

    @blp.doc(security=[])
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, schema=ReadinessSchema, description="A store does not answer.")
    def get(self) -> Any:
        """Readiness: every store answers; how far each projection trails the ledger."""
        report = current_app.extensions["pathways"].readiness()
        observe_readiness(report)  # a scrape of /metrics then reads the last readiness, touching no store
        if report["ready"]:
            return report
        return report, 503, {"Retry-After": "2"}


@blp.route("/metrics")
class Metrics(MethodView):
    """Prometheus metrics."""

    @blp.doc(security=[], responses={"200": {"description": "Prometheus text format",
                                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def get(self) -> Response:
        """Prometheus metrics, summed over every gunicorn worker when run under one; touches no store."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
