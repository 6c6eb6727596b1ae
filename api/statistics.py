"""The coordination group's statistics, as JSON or as CSV for the people who paste them into reports."""

from __future__ import annotations

import csv
import io
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import fields, validate

from api.blueprint import Blueprint
from api.requests import context
from api.schemas import Strict
from projections.statistics import GROUPS

blp = Blueprint("statistics", __name__, url_prefix="/api/v1/coordination",
                description="What operations achieved (arrests, seizures, victims, forfeiture), derived from their "
                            "results: per agency, threat domain or month. Send Accept: text/csv for CSV.")
CSV = "text/csv"


class StatisticsQuery(Strict):
    group_by = fields.String(load_default="agency", validate=validate.OneOf(tuple(GROUPS)))
    from_ = fields.Date(data_key="from", metadata={"description": "first day of completion (UTC); default a year ago"})
    to = fields.Date(metadata={"description": "last day; default today"})
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**53))


class StatisticsSchema(ma.Schema):
    group_by = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    rows = fields.List(fields.Dict(), required=True, metadata={"description": (
        "{group, arrests, seizures: {currency: {USD: \"12500.50\"}, drugs_grams: {fentanyl: \"850\"}, weapons, "
        "vehicles, documents, other}, victims: {rescued, identified}, forfeiture: {actions: {path: n}, "
        "value: {USD: \"...\"}}}")})


@blp.route("/statistics")
class Statistics(MethodView):
    """What operations achieved."""

    @blp.arguments(StatisticsQuery, location="query", as_kwargs=True)
    @blp.response(200, StatisticsSchema)
    @blp.alt_response(200, description="the same rows as CSV, one column per measure", content_type=CSV,
                      success=True)
    def get(self, group_by: str = "agency", from_: Any = None, to: Any = None,
            min_position: int | None = None) -> Any:
        """One row per group, from operations completed from `from` to `to` (coordinators)."""
        view = current_app.extensions["pathways"].statistics.statistics(
            context(), group_by=group_by, first=from_, last=to, min_position=min_position)
        if request.accept_mimetypes.best_match(["application/json", CSV]) == CSV:
            return Response(as_csv(view["rows"]), mimetype=CSV)
        return {**view, "from_": view.pop("from")}


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows flattened: a column per count, per currency and per substance (`seizures.currency.USD`)."""
    flat = [_flatten(row) for row in rows]
    columns = ["group", *sorted({name for row in flat for name in row} - {"group"})]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="0", lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, item in value.items():
        key = f"{prefix}{name}"
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{key}."))
        else:
            flat[key] = item
    return flat
