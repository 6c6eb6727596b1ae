"""Who may do what with an investigation: roles, then need-to-know per case (DESIGN.md §7, DOMAIN.md §5)."""

from __future__ import annotations

from coordination.context import RequestContext
from coordination.errors import Forbidden, NotFound
from domain.envelope import Actor
from domain.investigation import Investigation

CASE_READERS = frozenset({"agent", "supervisor", "analyst"})
CASE_WRITERS = frozenset({"agent", "supervisor"})
AUDIT_READERS = frozenset({"auditor"})


def require_role(actor: Actor, roles: frozenset[str], doing: str) -> None:
    """403 for a caller whose roles never allow this, whatever the object."""
    if not actor.has_any_role(*roles):
        raise Forbidden(f"{doing} needs one of the roles: {', '.join(sorted(roles))}")


def readable(inv: Investigation | None, ctx: RequestContext) -> Investigation:
    """The case, if the caller's agency owns it or it was shared with them; 404 otherwise."""
    actor = ctx.actor
    if inv is not None:
        # The owner's auditors must see who touched (or tried to touch) their case, allowed or not.
        ctx.audit.setdefault("object_owner", inv.owning_agency)
    require_role(actor, CASE_READERS, "reading an investigation")
    if inv is None or inv.access_of(actor.agency) is None:
        raise NotFound("no such investigation")
    return inv


def contributable(inv: Investigation | None, ctx: RequestContext) -> Investigation:
    """The case, if the caller may add entries: the owning agency, or one it shares with to contribute."""
    inv = readable(inv, ctx)
    actor = ctx.actor
    require_role(actor, CASE_WRITERS, "adding to an investigation")
    if inv.access_of(actor.agency) not in ("owner", "contribute"):
        raise Forbidden("your agency may read this investigation but not add to it")
    return inv


def owned(inv: Investigation | None, ctx: RequestContext) -> Investigation:
    """The case, if the caller's agency owns it: sharing, status and onward release are the owner's."""
    inv = readable(inv, ctx)
    actor = ctx.actor
    require_role(actor, CASE_WRITERS, "managing an investigation")
    if inv.access_of(actor.agency) != "owner":
        raise Forbidden("only the owning agency manages this investigation")
    return inv
