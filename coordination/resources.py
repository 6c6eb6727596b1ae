"""Use cases of resources: agencies register them, operations request them, their agencies commit or decline.

A named resource is never committed to two operations whose windows overlap: a commit reads and writes the
resource's schedule record, so two commits racing for it collide in the store, and the loser, retried, finds
the winner's commitment (409 naming it at pointer level). The record keeps which operations hold the resource;
their windows are read as they stand at each commit, so an operation amended since is judged where it now is.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from coordination import access
from coordination.commands import CommandRunner, Outcome, Session, Target, check_version
from coordination.context import RequestContext, Touched
from coordination.errors import NotFound
from coordination.operations import PLANNER, operation_target
from domain.operation import Operation
from domain.resource import Resource, ResourceRequest, overlaps
from domain.resource_schedule import ResourceSchedule

READERS = access.CASE_READERS | access.COORDINATORS
REGISTER = access.CASE_WRITERS | access.COORDINATORS
# The operation's agency and the resource's agency are parties to a request; any coordinator may answer one.
ANSWER = access.Policy("answering", frozenset({"party", "coordinator"}), access.CASE_WRITERS | access.COORDINATORS,
                       readers=READERS)


def resource_view(resource: Resource) -> dict[str, Any]:
    return {"id": resource.id, "kind": resource.kind, "name": resource.name, "agency": resource.owning_agency,
            "version": resource.version}


def request_view(request: ResourceRequest) -> dict[str, Any]:
    """A request as both its agencies see it: the operation by its deconfliction number, nothing of its case."""
    return {"id": request.id, "operation_id": request.operation_id,
            "deconfliction_number": request.deconfliction_number, "requested_by": request.owning_agency,
            "resource_id": request.resource_id, "agency": request.resource_agency, "kind": request.kind,
            "count": request.count, "status": request.status, "answer": request.answer, "version": request.version}


class Resources:
    """Registers resources and answers the requests operations make for them."""

    def __init__(self, runner: CommandRunner):
        self.runner = runner

    def register(self, ctx: RequestContext, *, kind: str, name: str, agency: str | None) -> Outcome:
        """Register a resource of the caller's agency (a coordinator: of any agency)."""
        access.require_role(ctx.actor, REGISTER, "registering a resource")

        def decide(session: Session, _: Any) -> dict[str, Any]:
            resource = Resource.register(id=uuid.uuid4(), kind=kind, name=name, agency=agency or ctx.actor.agency,
                                         envelope=ctx.envelope)
            session.add(resource)
            return resource_view(resource)

        return self.runner.run(ctx, decide, retry_on_conflict=False,
                               names=lambda r: Touched("resource", str(r["id"]), r["agency"]))

    def request(self, ctx: RequestContext, op_id: UUID, *, resource_id: UUID | None = None,
                agency: str | None = None, count: int | None = None) -> Outcome:
        """The operation's planner asks for a named resource, or for a number of an agency's people."""

        def decide(session: Session, op: Operation) -> dict[str, Any]:
            if resource_id is not None:
                resource = session.find(Resource, resource_id)
                if resource is None:
                    raise NotFound("no such resource", "resource_id")
                request = ResourceRequest.of_resource(id=uuid.uuid4(), operation=op, resource=resource,
                                                      envelope=ctx.envelope)
            else:
                request = ResourceRequest.of_personnel(id=uuid.uuid4(), operation=op, agency=agency, count=count,
                                                       envelope=ctx.envelope)
            session.add(request)
            return request_view(request)

        return self.runner.run(ctx, decide, target=operation_target(op_id, PLANNER), retry_on_conflict=False)

    def commit(self, ctx: RequestContext, op_id: UUID, request_id: UUID, *, note: str | None,
               expected_version: int | None) -> Outcome:
        """Commit what was asked: a named resource only if no other live operation holds it at that time."""

        def decide(session: Session, request: ResourceRequest) -> dict[str, Any]:
            check_version(request, expected_version)
            op = session.find(Operation, UUID(request.operation_id))
            assert op is not None  # a request is made of an operation, which is never deleted
            schedule = self._schedule(session, request)
            clashes = _clashes(session, schedule, op) if schedule is not None else []
            request.commit(note=note, clashes=clashes, envelope=ctx.envelope)
            if schedule is not None:
                schedule.book({"request_id": str(request.id), "operation_id": str(op.id)})
                session.add(schedule)
            session.add(request)
            return request_view(request)

        # A lost race on a schedule record is retried: the retry finds the winner's commitment.
        return self.runner.run(ctx, decide, target=_request_target(op_id, request_id), retry_on_conflict=True)

    def decline(self, ctx: RequestContext, op_id: UUID, request_id: UUID, *, reason: str,
                expected_version: int | None) -> Outcome:
        """Decline what was asked, saying why."""

        def decide(session: Session, request: ResourceRequest) -> dict[str, Any]:
            check_version(request, expected_version)
            request.decline(reason=reason, envelope=ctx.envelope)
            session.add(request)
            return request_view(request)

        return self.runner.run(ctx, decide, target=_request_target(op_id, request_id), retry_on_conflict=True)

    def _schedule(self, session: Session, request: ResourceRequest) -> ResourceSchedule | None:
        """The named resource's schedule record (none for a head count of people)."""
        if request.resource_id is None:
            return None
        record_id = self.runner.keys().resource_schedule(request.resource_id)
        found = session.find(ResourceSchedule, record_id)
        return found or session.started(ResourceSchedule.start(id=record_id, resource_id=request.resource_id))


def _clashes(session: Session, schedule: ResourceSchedule, op: Operation) -> list[dict[str, Any]]:
    """Commitments of the resource to other operations still going ahead whose windows, as they stand now, overlap.

    Each operation holding the resource is read (in one statement): one amended since is judged by its present
    window, and one cancelled, completed or withdrawn no longer holds the resource and leaves the record.
    """
    kept = {r: c for r, c in schedule.commitments.items() if c["operation_id"] != str(op.id)}
    others = session.find_many(Operation, {UUID(c["operation_id"]) for c in kept.values()})
    clashes = []
    for request_id, c in kept.items():
        other = others.get(UUID(c["operation_id"]))
        if other is None or not other.deconflicted:
            schedule.release(request_id)
        elif overlaps(op.plan["starts_at"], op.plan["ends_at"], other.plan["starts_at"], other.plan["ends_at"]):
            clashes.append({"agency": other.owning_agency, "deconfliction_number": other.deconfliction_number,
                            "starts_at": other.plan["starts_at"].isoformat(),
                            "ends_at": other.plan["ends_at"].isoformat()})
    return clashes


def _request_target(op_id: UUID, request_id: UUID) -> Target:
    def of_operation(request: ResourceRequest, ctx: RequestContext) -> None:
        if request.operation_id != str(op_id):
            raise NotFound("no such resource request")

    return Target(ResourceRequest, request_id, ANSWER, also=of_operation, via=access.as_party_or_coordinator)
