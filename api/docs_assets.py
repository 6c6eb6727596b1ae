"""Swagger UI's scripts and stylesheet, served from an installed package so `/docs` works without the internet.

The files come from `swagger-ui-bundle-v2` (import path `swagger_ui_bundle`), which ships Swagger UI 5: the 4.x
of the older `swagger-ui-bundle` cannot render an OpenAPI 3.1 document. Like `/docs` itself, they need no token.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"
# Only what flask-smorest's swagger_ui.html names (and their source maps): the package's own index.html
# would point the page at a demo API on the internet.
ASSETS = frozenset({
    "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
    "swagger-ui.css.map", "swagger-ui-bundle.js.map", "swagger-ui-standalone-preset.js.map",
})
# The online validator's badge would send the document's URL to a host on the internet.
SWAGGER_UI_CONFIG = {"validatorUrl": None}

blp = Blueprint("docs_assets", __name__)


@blp.get(f"{ASSETS_URL}<string:name>")
def asset(name: str) -> Response:
    """One of Swagger UI's files, revalidated by its ETag."""
    if name not in ASSETS:
        abort(404)
    return send_from_directory(str(swagger_ui_path), name, max_age=3600)
