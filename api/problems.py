"""RFC 9457 problem details for every error, with the headers each status needs (DESIGN.md §6)."""

from __future__ import annotations

import http
from typing import Any

from flask import Response, g, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from api.schemas import ProblemSchema
from coordination import errors

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://pathways.invalid/problems/"

# One HTTP status per coordination error, decided here and nowhere else.
STATUS_OF: dict[type[errors.CoordinationError], int] = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Invalid: 422,
    errors.Conflict: 409,
    errors.Contended: 503,
    errors.PreconditionFailed: 412,
    errors.PreconditionRequired: 428,
    errors.IdempotencyKeyReused: 422,
    errors.StoreUnavailable: 503,
    errors.NotYetVisible: 503,
    errors.Damaged: 500,  # the store was altered behind Pathways' back: not the caller's doing, and not transient
}

_TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 412: "Precondition failed", 413: "Request body too large",
    415: "Unsupported media type", 422: "Invalid request", 428: "Precondition required",
    500: "Internal error", 503: "Service unavailable",
}


def problem(
    status: int, detail: str, *, errors_by_field: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None, kind: str | None = None, extensions: dict[str, Any] | None = None,
) -> Response:
    """A problem+json response; `errors_by_field` maps each field at fault to its messages; `extensions` are
    further members (RFC 9457 §3.2) such as the conflicts a refused start waits on."""
    body: dict[str, Any] = {**(extensions or {}),
        "type": TYPE_BASE + (kind or str(status)),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(g, "request_id", ""),
    }
    if errors_by_field:
        body["errors"] = errors_by_field
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 503:
        response.headers.setdefault("Retry-After", "2")
    return response


_LOCATIONS = frozenset({"json", "query", "querystring", "headers", "form", "path", "view_args", "files"})


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow/webargs messages as {"identifiers.0.value": [...]}; the request location is dropped."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            if not prefix and key in _LOCATIONS:
                name = ""
            elif key == "_schema":
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten(value, name))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    if isinstance(messages, list):
        return {k: v for i, item in enumerate(messages) for k, v in flatten(item, f"{prefix}.{i}").items()}
    return {prefix or "body": [str(messages)]}


class PathwaysApi(Api):
    """flask-smorest's Api, answering problem details and keeping exception headers (Allow, WWW-Authenticate)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """Document every error response as application/problem+json, as it is sent."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON if status >= 400 else self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        headers = dict(error.get_headers()) if code != 500 else {}
        headers.pop("Content-Type", None)
        headers.update(data.get("headers") or {})
        messages = data.get("errors") or data.get("messages")
        if code == 400 and messages:
            return problem(400, "the request body is not valid JSON", headers=headers)
        if messages:
            fields = flatten(messages)
            return problem(code, "some fields are missing or invalid", errors_by_field=fields, headers=headers)
        detail = data.get("message") or (error.description if code != 500 else "an unexpected error occurred")
        return problem(code, str(detail), headers=headers)


def coordination_error(error: errors.CoordinationError) -> Response:
    """Map a use case's error to its one status."""
    # The nearest class that has a status: a more specific error of a context keeps its family's status.
    status = next((STATUS_OF[c] for c in type(error).__mro__ if c in STATUS_OF), 500)
    g.audit_touched = error.touched  # a refused request is audited against the record it concerned
    fields = {error.field: [error.message]} if error.field and status in (422, 428) else None
    return problem(status, error.message, errors_by_field=fields, kind=type(error).__name__,
                   extensions=error.extensions)


def too_deep(_: RecursionError) -> Response:
    """A JSON body nested deeper than the parser can follow is a bad request, not a crash."""
    return problem(400, "the request body is nested too deeply")
