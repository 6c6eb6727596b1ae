"""The HTTP API: the Flask app factory, its blueprints, schemas, authentication and errors."""

from __future__ import annotations

from typing import Any

from flask import Flask

from api import (
    audit_routes,
    board,
    case_clocks,
    conflicts,
    docs_assets,
    evidence,
    health,
    hooks,
    investigations,
    operation_lifecycle,
    operations,
    prosecution,
    readiness,
    referrals,
    resources,
    statistics,
)
from api.auth import TokenVerifier
from api.observability import configure_logging
from api.problems import PathwaysApi, coordination_error, too_deep
from coordination import bootstrap
from coordination.config import Settings
from coordination.errors import CoordinationError

MAX_BODY = 1024 * 1024  # 1 MiB


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` may carry SETTINGS (a Settings) or SERVICES (already built) and Flask keys."""
    config = dict(config or {})
    services = config.pop("SERVICES", None)
    settings = config.pop("SETTINGS", None) or (services.settings if services else Settings.from_env())
    services = services or bootstrap.build(settings)

    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        API_TITLE="Pathways",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=docs_assets.ASSETS_URL,  # served by this app: /docs needs no internet
        OPENAPI_SWAGGER_UI_CONFIG=docs_assets.SWAGGER_UI_CONFIG,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config)
    app.extensions["pathways"] = services
    app.extensions["pathways.verifier"] = TokenVerifier(settings.auth)
    configure_logging()

    api = PathwaysApi(app, spec_kwargs={
        "info": {"description": "Event-sourced coordination of multi-agency investigations."},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.register_blueprint(investigations.blp)
    api.register_blueprint(operations.blp)
    api.register_blueprint(operation_lifecycle.blp)
    api.register_blueprint(resources.blp)
    api.register_blueprint(case_clocks.blp)
    api.register_blueprint(statistics.blp)
    api.register_blueprint(conflicts.blp)
    api.register_blueprint(evidence.blp)
    api.register_blueprint(prosecution.blp)
    api.register_blueprint(referrals.blp)
    api.register_blueprint(readiness.blp)
    api.register_blueprint(board.blp)
    api.register_blueprint(audit_routes.blp)
    api.register_blueprint(health.blp)
    app.register_blueprint(docs_assets.blp)
    app.register_error_handler(CoordinationError, coordination_error)
    app.register_error_handler(RecursionError, too_deep)
    hooks.install(app)
    return app
