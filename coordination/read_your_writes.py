"""Reads of a read model that can wait (bounded) until it shows the caller's own write (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from coordination.commands import translated_store_errors
from coordination.errors import Invalid, NotYetVisible, StoreUnavailable

T = TypeVar("T")


class Waits(Protocol):
    def wait_for(self, position: int, timeout: float) -> bool: ...


def after_position(
    ledger: Any, reader: Waits, min_position: int | None, *, wait_max: float,
    unavailable: tuple[type[Exception], ...], what: str, query: Callable[[], T],
) -> T:
    """`query()` once the read model has folded `min_position` (if given): 422 for a position no write reached,
    503 when the model does not get there within `wait_max` or its store does not answer."""
    with translated_store_errors():
        head = ledger.max_position() if min_position else 0
    if min_position and min_position > head:
        raise Invalid("no write has reached this log position; pass one a write response gave", "min_position")
    try:
        if min_position and not reader.wait_for(min_position, wait_max):
            raise NotYetVisible(f"{what} has not yet reached position {min_position}; retry shortly")
        return query()
    except unavailable as error:
        raise StoreUnavailable("the read store is unreachable; retry shortly") from error
