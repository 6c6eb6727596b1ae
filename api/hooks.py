"""What happens around every request: request id, authentication, the audit record, the log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import UnsupportedMediaType

from api.auth import IdentityProviderUnavailable, InvalidToken
from api.observability import observe
from api.problems import problem
from coordination.audit import AuditRecord
from coordination.errors import StoreUnavailable

API_PREFIX = "/api/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
BEARER = 'Bearer realm="pathways"'
log = structlog.get_logger("pathways.http")
stdlog = logging.getLogger(__name__)


def install(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> Response | None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    g.actor = None
    if not request.path.startswith(API_PREFIX):
        return None
    refused = _authenticate()
    if refused is not None:
        return refused
    if request.method in ("POST", "PUT", "PATCH") and request.content_length and not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    return None


def _authenticate() -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.auth_failure = "no bearer token"
        return problem(401, "send a bearer token in the Authorization header", headers={"WWW-Authenticate": BEARER})
    try:
        g.actor = current_app.extensions["pathways.verifier"].verify(token.strip())
    except IdentityProviderUnavailable:
        g.auth_failure = "identity provider unavailable"
        return problem(503, "the identity provider's keys cannot be fetched; retry shortly")
    except InvalidToken as error:
        g.auth_failure = f"invalid token: {error}"[:300]
        return problem(401, "the bearer token was refused", headers={
            "WWW-Authenticate": f'{BEARER}, error="invalid_token"'})
    return None


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    if request.path.startswith(API_PREFIX):
        _audit(response, endpoint)
    observe(request.method, endpoint, response.status_code, elapsed)
    actor = g.get("actor")
    log.info(
        "request", request_id=g.get("request_id"), method=request.method, path=request.path,
        status=response.status_code, ms=round(elapsed * 1000, 2),
        sub=actor.sub if actor else None, agency=actor.agency if actor else None,
    )
    return response


def _outcome(status: int) -> str:
    if status < 400:
        return "allowed"
    if status in (401, 403, 404):
        return "denied"
    return "failed" if status >= 500 else "rejected"


def _touched() -> tuple[str, str, str]:
    """The record the request touched (type, id, owner): as its use case said, or named by the URL when none ran.

    A use case that ran returns it (or raises it with its refusal). A request refused before (a 422 of its
    body, say) is audited against the first `<kind>_id` of its URL, whose owner is then looked up.
    """
    touched = g.get("audit_touched")
    if touched is not None:
        return touched.object_type, touched.object_id, touched.owner
    named = next(((k, v) for k, v in (request.view_args or {}).items() if k.endswith("_id")), None)
    if named is None:
        return "", "", ""
    kind, record_id = named[0].removesuffix("_id"), str(named[1])
    if g.get("actor") is None:
        # A refused token reaches no store: an unauthenticated caller must not make the server read the ledger.
        return kind, record_id, ""
    try:
        return kind, record_id, current_app.extensions["pathways"].history.owner_of(uuid.UUID(record_id))
    except StoreUnavailable:
        # The response already says so (503); one line, not a traceback per request, while a store is down.
        stdlog.warning("the owner of %s is unknown for its audit record: the ledger is unreachable", record_id)
        return kind, record_id, ""
    except Exception:  # noqa: BLE001 - the record is written without its owner rather than not at all
        stdlog.warning("could not learn the owner of %s for its audit record", record_id, exc_info=True)
        return kind, record_id, ""


def _audit(response: Response, endpoint: str) -> None:
    """One record per API request, allowed or not; an unavailable audit store is logged, loudly."""
    actor = g.get("actor")
    object_type, object_id, owner = _touched()
    record = AuditRecord(
        sub=actor.sub if actor else "-",
        agency=actor.agency if actor else "-",
        roles=",".join(sorted(actor.roles)) if actor else "",
        action=f"{request.method} {endpoint}",
        object_type=object_type,
        object_id=object_id,
        object_owner=owner,
        outcome=_outcome(response.status_code),
        status=response.status_code,
        request_id=g.get("request_id", ""),
        source=request.remote_addr or "",
        detail=g.get("auth_failure", "") or (request.query_string.decode(errors="replace")[:300]),
    )
    try:
        ctx = g.get("request_context")
        current_app.extensions["pathways"].audit.record(record, heads=ctx.heads if ctx is not None else None)
    except Exception:  # noqa: BLE001 - the response already happened; the failure must be visible in logs
        stdlog.exception("could not write the audit record for request %s", record.request_id)
