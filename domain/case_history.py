"""A case as it stood: what had happened by one moment (`as_of`), as it was known at another (`known_at`).

Two times on every event: when it happened (`occurred_at`, which a correction may move) and when it was recorded
(`timestamp`). What was known at a moment is the chain up to the first event recorded after it: a cut, not a
filter, so that a clock running a little behind on one process cannot leave holes in what was known. Within
that, what had happened by `as_of` is every entry whose time, as corrected by what was known, is not later; a
correction is knowledge about its entry, so it counts with the entry whatever its own time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.investigation import Investigation


@dataclass
class AsItStood:
    """The case folded from the entries kept (None if none had happened), those entries, and which of them the
    known corrections corrected (entry version -> the corrections' versions)."""

    case: Investigation | None
    entries: list[Any]
    known_version: int
    corrected_by: dict[int, list[int]] = field(default_factory=dict)


def known_by(events: Sequence[Any], known_at: datetime | None) -> list[Any]:
    """The events recorded by `known_at`: the chain cut at the first one recorded after it."""
    if known_at is None:
        return list(events)
    known = []
    for event in events:
        if event.timestamp > known_at:
            break
        known.append(event)
    return known


def as_it_stood(events: Sequence[Any], *, as_of: datetime | None, known_at: datetime | None) -> AsItStood:
    """The case's entries that had happened by `as_of`, as known at `known_at`, and the case they make."""
    known = known_by(events, known_at)
    corrections = [e for e in known if isinstance(e, Investigation.EntryCorrected)]
    happened_at = {e.originator_version: e.occurred_at for e in known}
    for correction in corrections:  # in the order they were recorded: the last one known holds
        if correction.entry_kind == "action" and "occurred_at" in correction.changes:
            happened_at[correction.corrects] = correction.changes["occurred_at"]
    kept_versions = {e.originator_version for e in known if not isinstance(e, Investigation.EntryCorrected)
                     and (as_of is None or happened_at[e.originator_version] <= as_of)}
    kept = [e for e in known if e.originator_version in kept_versions
            or (isinstance(e, Investigation.EntryCorrected) and e.corrects in kept_versions)]
    corrected_by: dict[int, list[int]] = {}
    for correction in corrections:
        if correction.corrects in kept_versions:
            corrected_by.setdefault(correction.corrects, []).append(correction.originator_version)
    return AsItStood(_folded(kept), kept, known[-1].originator_version if known else 0, corrected_by)


def _folded(kept: list[Any]) -> Investigation | None:
    """The case the kept entries make. Not through the library's mutate past the first: a subset of the chain
    skips versions, which mutate refuses; each event's own `apply` is what the aggregate does with it."""
    if not kept or not isinstance(kept[0], Investigation.Opened):
        return None
    case: Investigation = kept[0].mutate(None)
    for event in kept[1:]:
        type(event).apply(event, case)
        case.version = event.originator_version
    return case

