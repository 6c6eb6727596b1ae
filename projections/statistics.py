"""What operations achieved, added up per day and per month, agency and threat domain (domain.results.facts_of).

Quantities are kept as whole units and millionths in two integer columns, so that both stores sum them exactly
in SQL (amounts have at most six decimals); a currency is summed per code, never across codes. A range is read
from the month totals of the whole months inside it and the day totals of the days at its edges, so a year's
statistics read a few hundred rows, not one per operation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from domain.investigation import Investigation
from domain.operation import Operation
from domain.results import facts_of
from projections.projection import CLEAR, ColumnCipher, Projection, Rows

TOTALS = "stat_totals"
OPERATIONS = "stat_operations"
CASES = "stat_cases"
MILLION = 1_000_000
GROUPS = {"agency": "agency", "threat_domain": "threat_domain", "month": "substr(bucket, 3, 7)"}


class OperationStatistics(Projection):
    """Answers: how many arrests, what seized, how many victims, what forfeited, per agency, domain or month."""

    name = "operation_statistics"
    tables = (TOTALS, OPERATIONS, CASES)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TOTALS} (bucket TEXT NOT NULL, agency TEXT NOT NULL, "
        "threat_domain TEXT NOT NULL, measure TEXT NOT NULL, item TEXT NOT NULL, units BIGINT NOT NULL, "
        "micros BIGINT NOT NULL, PRIMARY KEY (bucket, agency, threat_domain, measure, item))",
        f"CREATE TABLE IF NOT EXISTS {OPERATIONS} (id TEXT PRIMARY KEY, agency TEXT NOT NULL, "
        "investigation_id TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {CASES} (id TEXT PRIMARY KEY, threat_domain TEXT NOT NULL)",
    )
    topics = frozenset(get_topic(cls) for cls in (Investigation.Opened, Investigation.EntryCorrected,
                                                  Operation.Planned, Operation.RecordedLate, Operation.Completed))

    def apply(self, event: Any, position: int, rows: Rows) -> None:
        key = str(event.originator_id)
        if isinstance(event, Investigation.Opened):
            rows.upsert(CASES, ("id",), {"id": key, "threat_domain": event.threat_domain})
        elif isinstance(event, Investigation.EntryCorrected):
            if event.entry_kind == "opening" and "threat_domain" in event.changes:
                rows.update(CASES, {"id": key}, {"threat_domain": event.changes["threat_domain"]})
        elif isinstance(event, (Operation.Planned, Operation.RecordedLate)):
            rows.upsert(OPERATIONS, ("id",), {"id": key, "agency": event.owning_agency,
                                              "investigation_id": str(event.investigation_id)})
        else:
            self._completed(event, rows)

    def _completed(self, event: Any, rows: Rows) -> None:
        day = event.occurred_at.date()
        for measure, item, quantity in facts_of(event.results):
            units, micros = divmod(int(quantity * MILLION), MILLION)
            for bucket in (f"d:{day.isoformat()}", f"m:{day.isoformat()[:7]}"):
                rows.execute(_ADD, [bucket, measure, item, units, micros, str(event.originator_id)])


# A total is added to in one statement that reads the operation's agency and its case's threat domain itself, so
# that folding a completion reads nothing back (on PostgreSQL each read back is a round trip). Whole units and
# millionths are added apart: a total's millionths may pass a million, and are read as units + millionths / 10**6.
_ADD = (
    f"INSERT INTO {TOTALS} (bucket, agency, threat_domain, measure, item, units, micros) "
    f"SELECT ?, o.agency, COALESCE(c.threat_domain, ''), ?, ?, ?, ? FROM {OPERATIONS} o "
    f"LEFT JOIN {CASES} c ON c.id = o.investigation_id WHERE o.id = ? "
    f"ON CONFLICT (bucket, agency, threat_domain, measure, item) "
    f"DO UPDATE SET units = {TOTALS}.units + excluded.units, micros = {TOTALS}.micros + excluded.micros"
)


def _decimal(units: int, micros: int) -> Decimal:
    return Decimal(int(units)) + Decimal(int(micros)) / MILLION


def buckets(first: date, last: date) -> list[str]:
    """The month buckets of the whole months from `first` to `last`, and the day buckets of the days outside them."""
    found, day = [], first
    while day <= last:
        month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            found.append(f"m:{day.isoformat()[:7]}")
            day = month_end + timedelta(days=1)
        else:
            found.append(f"d:{day.isoformat()}")
            day += timedelta(days=1)
    return found


class StatisticsQuery:
    """Reads the totals of a range, grouped."""

    def __init__(self, db: Any, runner: Any, cipher: ColumnCipher = CLEAR):
        self.db = db
        self.runner = runner
        self.cipher = cipher

    def wait_for(self, position: int, timeout: float) -> bool:
        return self.runner.wait_for(OperationStatistics.name, position, timeout)

    def statistics(self, *, group_by: str, first: date, last: date) -> list[dict[str, Any]]:
        wanted = buckets(first, last)
        group = GROUPS[group_by]
        with self.db.transaction() as cur:
            rows = cur.execute(
                f"SELECT {group} AS grp, measure, item, SUM(units) AS units, SUM(micros) AS micros FROM {TOTALS} "
                f"WHERE bucket IN ({', '.join('?' for _ in wanted)}) GROUP BY {group}, measure, item",
                wanted).fetchall()
        by_group: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
        for r in rows:
            by_group[r["grp"]][r["measure"], r["item"]] = _decimal(r["units"], r["micros"])
        return [statistics_row(name, totals) for name, totals in sorted(by_group.items())]


def statistics_row(group: str, totals: dict[tuple[str, str], Decimal]) -> dict[str, Any]:
    """One group's statistics in the issue's shape: money and weights as decimal strings, per code or substance."""
    def count(measure: str) -> int:
        return int(totals.get((measure, ""), 0))

    def per_item(measure: str, money: bool = False) -> dict[str, str]:
        return {item: _text(v, money) for (m, item), v in sorted(totals.items()) if m == measure}

    return {
        "group": group,
        "arrests": count("arrests"),
        "seizures": {"currency": per_item("currency", money=True), "drugs_grams": per_item("drugs_grams"),
                     **{kind: count(kind) for kind in ("weapons", "vehicles", "documents", "other")}},
        "victims": {"rescued": count("victims_rescued"), "identified": count("victims_identified")},
        "forfeiture": {"actions": {item: int(v) for item, v in per_item("forfeiture_actions").items()},
                       "value": per_item("forfeiture_value", money=True)},
    }


def _text(value: Decimal, money: bool) -> str:
    """A decimal as a plain string: money with at least two decimals ("12500.50"), weights as they are ("850")."""
    text = format(value.normalize(), "f")
    if money:
        whole, _, cents = text.partition(".")
        text = f"{whole}.{cents.ljust(2, '0')}"
    return text
