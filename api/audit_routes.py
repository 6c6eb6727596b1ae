"""The audit trail route: auditors search who touched what; the search itself is audited."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from api import schemas
from api.blueprint import Blueprint
from api.requests import context
from coordination.audit import FILTERS

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit trail (auditors only).")


@blp.route("")
class AuditTrailView(MethodView):
    """The audit trail, for auditors."""

    @blp.arguments(schemas.AuditQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.AuditPageSchema)
    def get(self, limit: int, cursor: str | None, **query: Any) -> dict[str, Any]:
        """Search audit records, newest first, by actor, agency, object, outcome, action and time."""
        page = current_app.extensions["pathways"].audit.search(
            context(), filters={name: query.get(name) for name in FILTERS},
            since=query.get("since"), until=query.get("until"),
            before=int(cursor) if cursor else None, limit=limit,
        )
        next_before = page["next_before"]
        return {"items": page["items"], "next_cursor": str(next_before) if next_before is not None else None}
