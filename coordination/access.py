"""Who may do what with a record: roles, then need-to-know per record (DESIGN.md §7, DOMAIN.md §5).

Written once for every aggregate that declares itself (domain.aggregate.ChainedAggregate: `type_name`,
`owning_agency`, `access_of`): a new kind of record is guarded by these policies as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID

from coordination.context import RequestContext, Touched
from coordination.errors import CoordinationError, Forbidden, NotFound
from domain.envelope import Actor
from domain.investigation import PROSECUTION

CASE_READERS = frozenset({"agent", "supervisor", "analyst"})
COORDINATORS = frozenset({"coordinator"})  # the operations coordination group: sees across agencies by role
CASE_WRITERS = frozenset({"agent", "supervisor"})
AUDIT_READERS = frozenset({"auditor"})
PROSECUTORS = frozenset({"prosecutor"})  # read what was referred to their office (domain.investigation.PROSECUTION)
AUTHOR = "author"  # the access of the agency that added a record to a case (coordination.case_records)


class Guarded(Protocol):
    """A record that says whose it is and who may see it."""

    type_name: ClassVar[str]
    owning_agency: str

    @property
    def id(self) -> UUID: ...

    def access_of(self, agency: str) -> str | None: ...


G = TypeVar("G", bound=Guarded)


@dataclass(frozen=True)
class Policy:
    """What a use case needs of the caller: one of `readers` to see the record, then `writers` and a `level`.

    Each context defines the policies of its own records (coordinators read the deconfliction board,
    prosecutors what was referred to them); these are the investigation context's.
    """

    doing: str  # "reading", "adding to", "managing": how refusals name what was attempted
    levels: frozenset[str]  # the access_of answers that allow it
    writers: frozenset[str] | None = None  # roles needed beyond reading, if it writes
    refusal: str = ""  # the 403 when the caller sees the record but its agency's access is not enough
    readers: frozenset[str] = CASE_READERS  # roles that may see such a record at all


# Prosecutors read a case from its referral's submission on; every write of theirs is refused by role.
READ = Policy("reading", frozenset({"owner", "contribute", "read", AUTHOR, PROSECUTION}),
              readers=CASE_READERS | PROSECUTORS)
CONTRIBUTE = Policy("adding to", frozenset({"owner", "contribute"}), CASE_WRITERS,
                    "your agency may read this {kind} but not add to it")
MANAGE = Policy("managing", frozenset({"owner"}), CASE_WRITERS, "only the owning agency manages this {kind}")
# Approvals are a supervisor's of the owning agency (DOMAIN.md §1).
SUPERVISE = Policy("approving for", frozenset({"owner"}), frozenset({"supervisor"}),
                   "only the owning agency's supervisors approve this for the {kind}")


def require_role(actor: Actor, roles: frozenset[str], doing: str) -> None:
    """403 for a caller whose roles never allow this, whatever the object."""
    if not actor.has_any_role(*roles):
        raise Forbidden(f"{doing} needs one of the roles: {', '.join(sorted(roles))}")


def touched(record: Guarded) -> Touched:
    """What the audit record of a request says about the record it touched."""
    return Touched(record.type_name, str(record.id), record.owning_agency)


class Judge(Protocol):
    """Whatever says what an agency may do with a record: the record itself, or one it is seen through."""

    def access_of(self, agency: str) -> str | None: ...


def check(policy: Policy, kind: type[G], record: G | None, ctx: RequestContext, judge: Judge | None = None) -> G:
    """The record, if the caller may do what `policy` guards; 404 if they may not see it, 403 if only that.

    `judge` answers for records seen through another (an operation through its investigation), else the
    record answers itself. A refusal carries the record it concerned, so that its owner's auditors see who
    probed it.
    """
    name = kind.type_name or "record"
    try:
        require_role(ctx.actor, policy.readers, f"reading {_a(name)}")
        level = seen_level(ctx.actor, (judge or record).access_of(ctx.actor.agency)) if record is not None else None
        if record is None or level is None:
            raise NotFound(f"no such {name}")
        if policy.writers is not None:
            require_role(ctx.actor, policy.writers, f"{policy.doing} {_a(name)}")
        if level not in policy.levels:
            raise Forbidden(policy.refusal.format(kind=name))
    except CoordinationError as refusal:
        if record is not None:
            refusal.touched = touched(record)
        raise
    return record


def seen_level(actor: Actor, level: str | None) -> str | None:
    """The access an agency's level gives this caller: a prosecutor sees a case only through a referral to their
    office (never their agency's own cases), and the other roles never through one."""
    if level == PROSECUTION or actor.roles <= PROSECUTORS:
        return level if level == PROSECUTION and actor.has_any_role(*PROSECUTORS) else None
    return level


@dataclass(frozen=True)
class PartyOrCoordinator:
    """A record between two agencies (a conflict, a resource request): its parties see it, and so does every
    coordinator of the deployment, by role."""

    record: Any
    coordinator: bool

    def access_of(self, agency: str) -> str | None:
        return self.record.access_of(agency) or ("coordinator" if self.coordinator else None)


def as_party_or_coordinator(session: Any, record: Any, ctx: RequestContext) -> PartyOrCoordinator:
    """The judge of such a record for `Target(via=...)`."""
    return PartyOrCoordinator(record, ctx.actor.has_any_role(*COORDINATORS))


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def owner_of(record: Any) -> str:
    """The owning agency of any stored record that declares one ("" for bookkeeping records)."""
    return getattr(record, "owning_agency", "") if record is not None else ""
