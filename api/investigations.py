"""Investigation routes: open, list, read, log actions, add subjects, share, change status, correct."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, current_app, stream_with_context, url_for
from flask.views import MethodView

from api import deconfliction_schemas, schemas
from api.blueprint import Blueprint
from api.headers import headers
from api.requests import context, if_match, read, written
from coordination.investigations import KIND

blp = Blueprint("investigations", __name__, url_prefix="/api/v1/investigations",
                description="Investigations: the cases agencies open, log and share.")


def services() -> Any:
    return current_app.extensions["pathways"]


@blp.route("")
class InvestigationCollection(MethodView):
    """The investigations your agency may see, and opening new ones."""

    @blp.arguments(schemas.ListInvestigationsQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.InvestigationPageSchema)
    def get(self, limit: int, cursor: str | None, min_position: int | None, **filters: Any) -> dict[str, Any]:
        """List the investigations your agency owns or was shared, newest first."""
        page = services().case_listing.list(
            context(), status=filters.get("status"), threat_domain=filters.get("threat_domain"),
            agency=filters.get("agency"), before=int(cursor) if cursor else None, limit=limit,
            min_position=min_position,
        )
        next_before = page["next_before"]
        return {"items": page["items"], "next_cursor": str(next_before) if next_before is not None else None}

    @headers(idempotency_key=True)
    @blp.arguments(schemas.OpenInvestigationSchema)
    @blp.response(201, schemas.InvestigationSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Open an investigation owned by your agency, with you as case agent."""
        outcome = services().investigations.open(context(), **body)
        location = url_for("investigations.InvestigationItem", investigation_id=outcome.result["id"])
        return written(outcome, location=location)


@blp.route("/<uuid:investigation_id>")
class InvestigationItem(MethodView):
    """One investigation."""

    @blp.response(200, schemas.InvestigationSchema)
    def get(self, investigation_id: UUID) -> Any:
        """Read one investigation; its version is the ETag."""
        return read(services().investigations.get(context(), investigation_id), with_etag=True)


@blp.route("/<uuid:investigation_id>/actions")
class Actions(MethodView):
    """The investigative and enforcement actions logged on a case."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.LogActionSchema)
    @blp.response(201, schemas.EntrySchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Log an investigative or enforcement action."""
        return written(services().investigations.log_action(
            context(), investigation_id, expected_version=if_match(), **body))


@blp.route("/<uuid:investigation_id>/subjects")
class Subjects(MethodView):
    """The people, organisations and businesses of the network under investigation."""

    @blp.response(200, schemas.SubjectListSchema)
    def get(self, investigation_id: UUID) -> Any:
        """List the investigation's subjects as they stand now, corrections applied."""
        return read(services().investigations.subjects(context(), investigation_id), with_etag=True)

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.AddSubjectSchema)
    @blp.response(201, deconfliction_schemas.RegisteredSubjectSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Add a subject (person, organisation, business): the answer says whether another case is after the
        same identifiers, and whom to call."""
        return written(services().investigations.add_subject(
            context(), investigation_id, details=body, expected_version=if_match()))


@blp.route("/<uuid:investigation_id>/subjects/<uuid:subject_id>/registration")
class Registration(MethodView):
    """A subject's registration for target deconfliction, which lapses after 24 months unless renewed."""

    @headers(idempotency_key=True)
    @blp.response(200, deconfliction_schemas.RenewedRegistrationSchema)
    def post(self, investigation_id: UUID, subject_id: UUID) -> Any:
        """Renew the subject's registration for another 24 months; it is checked again as it is renewed."""
        return written(services().investigations.renew_registration(context(), investigation_id, subject_id))


@blp.route("/<uuid:investigation_id>/shares")
class Shares(MethodView):
    """The agencies a case is shared with."""

    @headers(if_match="optional", idempotency_key=True)
    @blp.arguments(schemas.ShareSchema)
    @blp.response(200, schemas.InvestigationSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Share the investigation with another agency, to read or to contribute."""
        return written(services().investigations.share(
            context(), investigation_id, agency=body["agency"], access_level=body["access"],
            expected_version=if_match()))


@blp.route("/<uuid:investigation_id>/shares/<string:agency>")
class Share(MethodView):
    """One agency's share of a case."""

    @headers(if_match="optional")
    @blp.response(200, schemas.InvestigationSchema)
    def delete(self, investigation_id: UUID, agency: str) -> Any:
        """Stop sharing the investigation with an agency."""
        return written(services().investigations.revoke_share(
            context(), investigation_id, agency=agency, expected_version=if_match()))


@blp.route("/<uuid:investigation_id>/status")
class Status(MethodView):
    """A case's place in its lifecycle."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.ChangeStatusSchema)
    @blp.response(200, schemas.InvestigationSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Change the investigation's status, with a reason; needs If-Match."""
        return written(services().investigations.change_status(
            context(), investigation_id, expected_version=if_match(), **body))


@blp.route("/<uuid:investigation_id>/corrections")
class Corrections(MethodView):
    """Corrections of earlier entries, each a new event."""

    @headers(if_match="required", idempotency_key=True)
    @blp.arguments(schemas.CorrectionSchema)
    @blp.response(201, schemas.CorrectionResultSchema)
    def post(self, body: dict[str, Any], investigation_id: UUID) -> Any:
        """Correct an earlier entry by a new event that names it; needs If-Match."""
        return written(services().investigations.correct(
            context(), investigation_id, expected_version=if_match(), **body))


@blp.route("/<uuid:investigation_id>/timeline")
class Timeline(MethodView):
    """A case's full history, event by event."""

    @blp.arguments(schemas.TimelineQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.TimelineSchema)
    def get(self, investigation_id: UUID, limit: int, cursor: str | None) -> Any:
        """Every event of the investigation in order: what, when it happened, when recorded, who."""
        page = services().history.timeline(context(), KIND, investigation_id, after=int(cursor or 0),
                                           limit=limit)
        return read(page, with_etag=True)


@blp.route("/<uuid:investigation_id>/integrity")
class Integrity(MethodView):
    """Whether a case's stored history is the one that was written."""

    @blp.response(200, schemas.IntegritySchema)
    def get(self, investigation_id: UUID) -> Any:
        """Check the investigation's hash chain; names the first broken link if any."""
        return read(services().history.verify(context(), KIND, investigation_id))


@blp.route("/<uuid:investigation_id>/history")
class CaseHistory(MethodView):
    """A case replayed as it stood: for prosecutors, what was on record and when it was known."""

    @blp.arguments(schemas.HistoryQuery, location="query", as_kwargs=True)
    @blp.response(200, schemas.HistorySchema)
    def get(self, investigation_id: UUID, as_of: Any, known_at: Any, limit: int, cursor: str | None) -> Any:
        """The case's state and entries as they stood: `as_of` bounds when things happened, `known_at` when they
        were recorded (corrections as they were known then); each entry with who recorded it and both times."""
        return read(services().case_history.as_it_stood(context(), investigation_id, as_of=as_of,
                                                         known_at=known_at, after=int(cursor or 0), limit=limit))


@blp.route("/<uuid:investigation_id>/export")
class Export(MethodView):
    """A case's verifiable bundle, for a court: checked without Pathways by the verifier inside it."""

    @blp.response(200, content_type="application/zip",
                  description="a zip: events.jsonl, checkpoint.json (signed), manifest.json, verify.py")
    def get(self, investigation_id: UUID) -> Any:
        """The whole case (owner only), streamed: every event with its digest, its head signed at export."""
        outcome, chunks = services().export.export(context(), investigation_id)
        name = read(outcome)["file_name"]  # the case it touched goes to the request's audit record
        return Response(stream_with_context(chunks), mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/<uuid:investigation_id>/history/verify")
class HistoryVerify(MethodView):
    """The same check under the name prosecutors look for: is this the history that was written?"""

    @blp.response(200, schemas.HistoryVerifySchema)
    def get(self, investigation_id: UUID) -> Any:
        """Recompute the investigation's hash chain: valid or not, how many events were checked, the first broken."""
        return read(services().history.verify(context(), KIND, investigation_id))
