"""The third agency rule (DOMAIN.md §5): what a partner agency may see of what others put into a case."""

from __future__ import annotations


def sees_contribution(viewer: str, owner: str, contributor: str) -> bool:
    """Whether `viewer` may see what `contributor` put into (or was granted on) a case that `owner` owns.

    The owner sees everything in its case. A partner sees the owner's entries and its own, never another
    partner's: onward release of one agency's information to a third agency needs that agency's consent.
    """
    return viewer == owner or contributor in (owner, viewer)
