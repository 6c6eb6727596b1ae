"""The Operation aggregate: an enforcement action an investigation plans, checked against all others."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import rules
from domain.aggregate import ChainedAggregate
from domain.deconfliction import DEFAULT_DURATION, MAX_WINDOW, OPERATION_KINDS
from domain.envelope import Envelope
from domain.errors import DomainError, StateConflict
from domain.geo import path_length_m

MAX_ROUTE_POINTS = 100
# Plans are for the years around now; far dates are typing errors, and near datetime's limits padding overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ROUTE_M = 300_000  # a route longer than this is several operations
PLAN_FIELDS = ("kind", "title", "location", "route", "starts_at", "ends_at", "point_of_contact", "undercover",
               "armed_subjects", "subject_ids")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,30}(\s*(x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Operation(ChainedAggregate):
    """A planned enforcement operation of one investigation, run by the agency that planned it."""

    type_name = "operation"
    references = frozenset({"investigation_id"})

    if TYPE_CHECKING:
        investigation_id: UUID
        owning_agency: str
        deconfliction_number: str
        plan: dict[str, Any]
        status: str

    class Planned(ChainedAggregate.Created):
        investigation_id: UUID
        owning_agency: str
        deconfliction_number: str
        plan: dict[str, Any]

        def apply(self, op: Operation) -> None:
            op.investigation_id, op.owning_agency = self.investigation_id, self.owning_agency
            op.deconfliction_number, op.plan, op.status = self.deconfliction_number, self.plan, "planned"

    class Amended(ChainedAggregate.Event):
        changed: list[str]
        plan: dict[str, Any]

        def apply(self, op: Operation) -> None:
            op.plan = self.plan

    class Withdrawn(ChainedAggregate.Event):
        reason: str

        def apply(self, op: Operation) -> None:
            op.status = "withdrawn"

    @classmethod
    def plan_for(
        cls, *, id: UUID, investigation_id: UUID, number: str, plan: dict[str, Any], envelope: Envelope,  # noqa: A002
    ) -> Operation:
        """Plan an operation (its fields checked by `checked_plan`) owned by the planner's agency."""
        return cls._start(cls.Planned, id=id, envelope=envelope, investigation_id=investigation_id,
                          owning_agency=envelope.actor.agency, deconfliction_number=number, plan=plan)

    def amend(self, *, changes: dict[str, Any], now: datetime, envelope: Envelope) -> list[str]:
        """Change any fields of the plan; returns which changed (none: nothing is recorded)."""
        self._refuse_if_withdrawn()
        unknown = sorted(set(changes) - set(PLAN_FIELDS))
        if unknown:
            raise DomainError(f"not a field of the plan: {', '.join(unknown)}", unknown[0])
        merged = checked_plan({**self.plan, **changes}, now=now, fresh=set(changes))
        changed = [name for name in PLAN_FIELDS if merged.get(name) != self.plan.get(name)]
        if changed:
            self._record(self.Amended, envelope=envelope, changed=changed, plan=merged)
        return changed

    def withdraw(self, *, reason: str, envelope: Envelope) -> None:
        """Call the operation off; it is no longer deconflicted against."""
        self._refuse_if_withdrawn()
        self._record(self.Withdrawn, envelope=envelope, reason=rules.text(reason, "reason", max_len=2000))

    def access_of(self, agency: str) -> str | None:
        """Alone, an operation is its planner's; the use cases also let in whoever sees its investigation."""
        return "owner" if agency == self.owning_agency else None

    def _refuse_if_withdrawn(self) -> None:
        if self.status == "withdrawn":
            raise StateConflict("the operation was withdrawn")


def checked_plan(fields: dict[str, Any], *, now: datetime, fresh: set[str] | None = None) -> dict[str, Any]:
    """The plan's fields checked and in their stored form; `fresh` names those given now (default: all).

    Only a start given now must not be in the past: an amendment of an operation under way keeps its start.
    """
    fresh = set(fields) if fresh is None else fresh
    kind = rules.one_of(fields.get("kind"), OPERATION_KINDS, "kind")
    location = _place(fields.get("location"), "location", with_address=True)
    route = _route(fields.get("route"))
    starts_at = _time(fields.get("starts_at"), "starts_at")
    ends_at = fields.get("ends_at")
    ends_at = starts_at + DEFAULT_DURATION if ends_at is None else _time(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise DomainError("must be after starts_at", "ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise DomainError("an operation's window is at most 14 days; plan longer ones in parts", "ends_at")
    if "starts_at" in fresh and ends_at < now:
        raise DomainError("the operation would be over already", "ends_at")
    return {
        "kind": kind,
        "title": rules.optional_text(fields.get("title"), "title", max_len=300),
        "location": location,
        "route": route,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "point_of_contact": _point_of_contact(fields.get("point_of_contact")),
        "undercover": _flag(fields.get("undercover"), "undercover"),
        "armed_subjects": _flag(fields.get("armed_subjects"), "armed_subjects"),
        "subject_ids": _subject_ids(fields.get("subject_ids")),
    }


def _place(value: Any, field: str, *, with_address: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DomainError("must be an object with lat and lon", field)
    place: dict[str, Any] = {}
    for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        number = value.get(name)
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number:
            raise DomainError("must be a number", f"{field}.{name}")
        if not low <= number <= high:
            raise DomainError(f"must be between {low} and {high}", f"{field}.{name}")
        place[name] = float(number)
    if with_address:
        place["address"] = rules.optional_text(value.get("address"), f"{field}.address", max_len=300) or None
    return place


def _route(value: Any) -> list[dict[str, float]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ROUTE_POINTS:
        raise DomainError(f"must be a list of at most {MAX_ROUTE_POINTS} points", "route")
    route = [_place(point, f"route.{i}") for i, point in enumerate(value)]
    if path_length_m([(p["lat"], p["lon"]) for p in route]) > MAX_ROUTE_M:
        raise DomainError(f"a route is at most {MAX_ROUTE_M // 1000} km; plan longer ones in parts", "route")
    return route


def _time(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DomainError("must be an RFC 3339 time", field) from None
    if not isinstance(value, datetime):
        raise DomainError("must be an RFC 3339 time", field)
    if value.tzinfo is None:
        raise DomainError("must carry a time zone", field)
    value = value.astimezone(UTC)
    if not EARLIEST <= value <= LATEST:
        raise DomainError(f"must be between {EARLIEST.year} and {LATEST.year}", field)
    return value


def _point_of_contact(value: Any) -> dict[str, Any]:
    field = "point_of_contact"
    if not isinstance(value, dict):
        raise DomainError("must be an object with name and phone", field)
    phone = rules.text(value.get("phone"), f"{field}.phone", max_len=40)
    if not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 7:
        raise DomainError("must be a phone number the other side can call", f"{field}.phone")
    email = value.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email) or len(email) > 254):
        raise DomainError("must be an email address", f"{field}.email")
    return {"name": rules.text(value.get("name"), f"{field}.name", max_len=200), "phone": phone,
            "email": email.lower() if email else None}


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError("must be true or false", field)
    return value


def _subject_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 50:
        raise DomainError("must be a list of at most 50 subject ids", "subject_ids")
    ids: list[str] = []
    for index, raw in enumerate(value):
        try:
            subject_id = str(UUID(str(raw)))
        except ValueError:
            raise DomainError("must be a subject id", f"subject_ids.{index}") from None
        if subject_id not in ids:
            ids.append(subject_id)
    return ids
