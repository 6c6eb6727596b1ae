"""The Blueprint every API resource uses: its arguments parser refuses unknown query fields too."""

from __future__ import annotations

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    """Unknown fields are refused in every location, so a misspelt filter is a 422, not an unfiltered list."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()
