"""Per-request plumbing for views: the caller's context, If-Match, Idempotency-Key, write responses."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from flask import g, request
from flask_smorest import abort
from werkzeug.exceptions import PreconditionFailed

from coordination.commands import ANY_VERSION, Outcome
from coordination.context import Idempotency, RequestContext

POSITION_HEADER = "Pathways-Log-Position"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_ETAG = re.compile(r'^"?(\d{1,18})"?$')


def context() -> RequestContext:
    """The authenticated caller and this request, as a use case needs them (kept for the audit record)."""
    g.request_context = RequestContext(actor=g.actor, request_id=g.request_id, idempotency=_idempotency(),
                                       anchors_deferred=True)
    return g.request_context


def _idempotency() -> Idempotency | None:
    key = request.headers.get("Idempotency-Key")
    if key is None or request.method != "POST":
        return None
    if not _KEY.match(key):
        abort(422, errors={"Idempotency-Key": ["must be 1-200 visible ASCII characters"]})
    body = request.get_json(silent=True)
    if body is None:
        canonical = request.get_data(as_text=True)
    else:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    return Idempotency(key=key, request_digest=digest)


def if_match() -> int | None:
    """The version named by If-Match (`*`: any current version); one that cannot be ours never matches (412).

    If-Match compares strongly, so a weak ETag (W/"3") never matches either.
    """
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    if raw.strip() == "*":
        return ANY_VERSION
    found = _ETAG.match(raw.strip())
    if found is None:
        raise PreconditionFailed("If-Match must be the ETag of the version you read")
    return int(found.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def read(outcome: Outcome, *, with_etag: bool = False) -> Any:
    """A read's body (and its version as ETag); the record it touched goes to the request's audit record."""
    g.audit_touched = outcome.touched
    if with_etag:
        return outcome.result, {"ETag": etag(int(outcome.result["version"]))}
    return outcome.result


def written(outcome: Outcome, *, location: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """A write's body and headers: its new version as ETag and the log position it reached."""
    g.audit_touched = outcome.touched
    headers: dict[str, str] = {}
    version = outcome.result.get("version")
    if version is not None:
        headers["ETag"] = etag(int(version))
    if outcome.position is not None:
        headers[POSITION_HEADER] = str(outcome.position)
    if location:
        headers["Location"] = location
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return outcome.result, headers
