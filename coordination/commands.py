"""Runs a command: load, decide, save atomically with its idempotency record, retry lost races."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from coordination import access
from coordination.anchors import ChainAnchors
from coordination.bulk_reads import load_many
from coordination.context import RequestContext, Touched
from coordination.deployment import DeploymentKeys
from coordination.errors import (
    Conflict,
    Contended,
    CoordinationError,
    Damaged,
    Forbidden,
    IdempotencyKeyReused,
    Invalid,
    PreconditionFailed,
    PreconditionRequired,
    StoreUnavailable,
)
from coordination.integrity import intact_prefix
from coordination.ledger import UNREADABLE, Ledger
from domain.aggregate import ChainedAggregate
from domain.errors import DomainError, NotPermitted, StateConflict
from domain.idempotency import IdempotencyRecord

A = TypeVar("A", bound=Aggregate)
# Retries of a lost race are bounded by time, not count: under a hot case each attempt may lose to several.
RETRY_BUDGET_SECONDS = 10.0


@dataclass
class Outcome:
    """What a use case produced: plain data for the response, the log position it reached, what it touched."""

    result: dict[str, Any]
    position: int | None = None
    replayed: bool = False
    touched: Touched | None = None  # the record the request's audit record names


@dataclass(frozen=True)
class Target:
    """The record a command acts on and the policy that guards it: checked on every attempt and every replay."""

    kind: type[ChainedAggregate]
    id: UUID
    policy: access.Policy
    # A rule of the record itself about who may do this (e.g. only an entry's author corrects it): raises.
    also: Callable[[Any, RequestContext], None] | None = None
    # For a record seen through another (an operation by those who see its case): what answers access_of.
    via: Callable[[Session, Any, RequestContext], access.Judge] | None = None

    def checked(self, session: Session, ctx: RequestContext) -> Any:
        try:
            found = session.find(self.kind, self.id)
        except Damaged as damaged:
            # Whether the caller may know of it is judged by its events up to the first broken link only: an
            # edited event must not let anyone in. 404 to whoever may not see that; the damage to whoever may.
            damaged.record = intact_prefix(session.ledger, self.id)
            seen = damaged.record if isinstance(damaged.record, self.kind) else None
            damaged.touched = access.touched(access.check(access.READ, self.kind, seen, ctx))
            raise
        judge = self.via(session, found, ctx) if self.via is not None and found is not None else None
        record = access.check(self.policy, self.kind, found, ctx, judge)
        if self.also is not None:
            try:
                with translated_domain_errors():
                    self.also(record, ctx)
            except CoordinationError as refusal:
                refusal.touched = access.touched(record)
                raise
        return record


@dataclass
class Session:
    """The aggregates one attempt of a command loaded and changed; saved together or not at all.

    It hands out one object per aggregate: loading a record twice in one attempt (an index record a plan and
    its target share) must not give two copies whose events would collide with each other at save.
    """

    ledger: Ledger
    changed: list[Aggregate] = field(default_factory=list)
    loaded: dict[UUID, Aggregate | None] = field(default_factory=dict)

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self.loaded:
            try:
                self.loaded[aggregate_id] = self.ledger.repository.get(aggregate_id)
            except AggregateNotFoundError:
                self.loaded[aggregate_id] = None
            except UNREADABLE:
                raise _damaged(aggregate_id) from None
        aggregate = self.loaded[aggregate_id]
        return aggregate if isinstance(aggregate, cls) else None

    def find_many(self, cls: type[A], ids: Iterable[UUID]) -> dict[UUID, A]:
        """Those of `ids` that exist as `cls`, read together (coordination.bulk_reads): one round trip."""
        ids = list(ids)
        missing = [i for i in ids if i not in self.loaded]
        if missing:
            try:
                found = load_many(self.ledger, missing)
            except UNREADABLE:  # which one: read them one by one
                for aggregate_id in missing:
                    self.find(Aggregate, aggregate_id)
                raise
            self.loaded.update((i, found.get(i)) for i in missing)
        return {i: a for i in ids if isinstance(a := self.loaded[i], cls)}

    def started(self, record: A) -> A:
        """A record this attempt creates at a natural key: a later look-up of that key in the attempt gets it."""
        self.loaded[record.id] = record
        return record

    def known_absent(self, ids: Iterable[UUID]) -> None:
        """Records this attempt knows are not stored (ids derived from a record it is creating): not looked up.

        Should one exist after all, saving a new record at its id collides, and the command retries or refuses.
        """
        self.loaded.update((i, None) for i in ids if i not in self.loaded)

    def add(self, *aggregates: Aggregate) -> None:
        self.changed.extend(a for a in aggregates if a not in self.changed)


ANY_VERSION = -1  # If-Match: * — the caller accepts whatever version is current


def guards(expected: int | None) -> bool:
    """Whether If-Match named one version: then a lost race is a stale precondition (412), not retried."""
    return expected not in (None, ANY_VERSION)


def require_if_match(expected: int | None) -> None:
    """A change of what others decided on must say which version it saw: 428 without If-Match."""
    if expected is None:
        raise PreconditionRequired("send If-Match with the version you read", field="If-Match")


def check_version(aggregate: Aggregate, expected: int | None) -> None:
    """Refuse the write when If-Match named a version other than the current one."""
    if expected is not None and expected != ANY_VERSION and aggregate.version != expected:
        raise PreconditionFailed(f"the version is now {aggregate.version}, not {expected}; reload and retry")


class CommandRunner:
    """Gives every command the same guarantees: atomic, idempotent, and retried on a lost race when safe."""

    def __init__(self, ledger: Ledger, anchors: ChainAnchors | None = None):
        self.ledger = ledger
        self.anchors = anchors
        self.keys = DeploymentKeys(ledger)  # the natural keys of this deployment's records

    def run(
        self,
        ctx: RequestContext,
        decide: Callable[[Session, Any], dict[str, Any]],
        *,
        target: Target | None = None,
        retry_on_conflict: bool,
        guarded: bool = False,
        names: Callable[[dict[str, Any]], Touched] | None = None,
    ) -> Outcome:
        """Run `decide(session, record)` until its changes save; `guarded` means the caller sent If-Match.

        `record` is the `target`, loaded and allowed by its policy on every attempt, and on a replay too: a
        replay answers what a fresh request would now (a revoked share is 404, a lost role 403). A command that
        creates its record has no target; `names` says from its result which record it touched.
        """
        with translated_store_errors():
            replay = self._replay(ctx, target, names)
            if replay is not None:
                return replay
            deadline, attempt = time.monotonic() + RETRY_BUDGET_SECONDS, 0
            while time.monotonic() < deadline:
                session = Session(self.ledger)
                record, result = self._decided(ctx, session, target, decide)
                try:
                    position = self._save(ctx, session, result)
                except IntegrityError:
                    replay = self._replay(ctx, target, names)
                    if replay is not None:
                        return replay
                    if guarded:
                        raise PreconditionFailed("another write landed first; reload and retry") from None
                    if not retry_on_conflict:
                        raise Conflict("another write landed first; reload and retry") from None
                    back_off(attempt)
                    attempt += 1
                    continue
                return Outcome(result, position, touched=_touched(record, result, names))
        raise Contended("too many concurrent writes to this object; retry shortly")

    @staticmethod
    def _decided(
        ctx: RequestContext, session: Session, target: Target | None, decide: Callable[[Session, Any], dict[str, Any]]
    ) -> tuple[Any, dict[str, Any]]:
        record = None
        try:
            with translated_domain_errors():
                record = target.checked(session, ctx) if target is not None else None
                return record, decide(session, record)
        except CoordinationError as refusal:
            # A command its record refuses (a frozen case, a bad field) is audited against that record.
            if refusal.touched is None and record is not None:
                refusal.touched = access.touched(record)
            raise

    def _save(self, ctx: RequestContext, session: Session, result: dict[str, Any]) -> int | None:
        pending: list[Aggregate] = list(session.changed)
        if ctx.idempotency is not None:
            pending.append(
                IdempotencyRecord.record(
                    id=self.keys().idempotency(ctx.actor.agency, ctx.idempotency.key),
                    agency=ctx.actor.agency,
                    sub=ctx.actor.sub,
                    key=ctx.idempotency.key,
                    request_digest=ctx.idempotency.request_digest,
                    result=result,
                )
            )
        recordings = self.ledger.save(*pending)
        heads = [(a.id, a.version, a.chain_head) for a in session.changed if isinstance(a, ChainedAggregate)]
        ctx.heads.extend(heads)
        if self.anchors is not None and not ctx.anchors_deferred:
            self.anchors.anchor(heads)
        return max((r.notification.id for r in recordings), default=None)

    def _replay(
        self, ctx: RequestContext, target: Target | None, names: Callable[[dict[str, Any]], Touched] | None
    ) -> Outcome | None:
        if ctx.idempotency is None:
            return None
        session = Session(self.ledger)
        stored = session.find(IdempotencyRecord, self.keys().idempotency(ctx.actor.agency, ctx.idempotency.key))
        if stored is None:
            return None
        # A replay hands back what the first request saw, so only the person who sent it may replay it.
        if stored.sub != ctx.actor.sub or stored.request_digest != ctx.idempotency.request_digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request", field="Idempotency-Key"
            )
        record = target.checked(session, ctx) if target is not None else None
        # The first response's position is not kept; the present end of the log is at or after it.
        return Outcome(stored.result, self.ledger.max_position(), replayed=True,
                       touched=_touched(record, stored.result, names))


def _touched(record: Any, result: dict[str, Any], names: Callable[[dict[str, Any]], Touched] | None) -> Touched | None:
    if record is not None:
        return access.touched(record)
    return names(result) if names is not None else None


def back_off(attempt: int) -> None:
    """Sleep a jittered, capped while before retry number `attempt + 1` of a lost race."""
    # Jitter spreads racing writers apart so that the next attempt of each is likely to win.
    time.sleep(random.uniform(0, min(0.05, 0.002 * (2 ** min(attempt, 5)))))


def _damaged(aggregate_id: UUID) -> Damaged:
    return Damaged(f"the stored history of record {aggregate_id} was altered outside Pathways and cannot be read; "
                   "its history/verify (or integrity) check names the first broken event",
                   extensions={"record_id": str(aggregate_id)})


@contextmanager
def translated_domain_errors() -> Iterator[None]:
    """Domain rule breaks become Invalid, Forbidden or Conflict."""
    try:
        yield
    except StateConflict as error:
        raise Conflict(error.message, error.field, error.extensions) from None
    except NotPermitted as error:
        raise Forbidden(error.message) from None
    except DomainError as error:
        raise Invalid(error.message, error.field, error.extensions) from None


@contextmanager
def translated_store_errors() -> Iterator[None]:
    """An unreachable store becomes StoreUnavailable (503), not a stack trace."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailable("the event store is unreachable; retry shortly") from error
