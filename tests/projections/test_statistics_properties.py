"""Property: the statistics equal a hand computation over the results of whatever operations were completed."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.context import RequestContext
from domain.envelope import Actor

AGENCIES = ("HSI", "DEA", "CBP")
COORDINATOR = RequestContext(Actor("cora", "OCG", "Cora", frozenset({"coordinator"})), "r")
MONTHS = itertools.count()  # each example completes its operations in a month of its own

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
results = st.fixed_dictionaries({
    "arrests": st.fixed_dictionaries({"count": st.integers(0, 20)}),
    "seizures": st.lists(st.one_of(
        st.fixed_dictionaries({"kind": st.just("currency"), "amount": amounts.map(str),
                               "currency": st.sampled_from(("USD", "EUR", "MXN"))}),
        st.fixed_dictionaries({"kind": st.just("drugs"), "substance": st.sampled_from(("fentanyl", "cocaine")),
                               "grams": st.decimals(min_value=0, max_value=10**6, places=3).map(str)}),
        st.fixed_dictionaries({"kind": st.just("weapons"), "count": st.integers(0, 10)}),
    ), max_size=4),
})
operations = st.lists(st.tuples(st.sampled_from(AGENCIES), st.integers(0, 27), results), min_size=1, max_size=6)


def agent(agency: str) -> RequestContext:
    return RequestContext(Actor(f"agent-{agency.lower()}", agency, "A", frozenset({"agent", "supervisor"})), "r")


def complete(services, agency: str, case_id: str, day: date, results: dict) -> None:
    """An operation recorded late on `day` and completed that day with `results`."""
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
    ctx = agent(agency)
    op = services.operations.plan(
        ctx, investigation_id=case_id, late_entry_reason="exigent", kind="raid",
        location={"lat": 10.0, "lon": 20.0}, starts_at=start,
        ends_at=start + timedelta(hours=2), point_of_contact={"name": "Sgt", "phone": "+1 305 555 0100"},
        undercover=False, armed_subjects=False).result
    services.lifecycle.complete(ctx, op["id"], results=results, completed_at=start + timedelta(hours=1),
                                expected_version=op["version"])


def by_hand(story) -> dict[str, dict]:
    totals: dict[str, dict] = defaultdict(lambda: {"arrests": 0, "currency": defaultdict(Decimal),
                                                   "drugs_grams": defaultdict(Decimal), "weapons": 0})
    for agency, _, results in story:
        total = totals[agency]
        total["arrests"] += results["arrests"]["count"]
        for seized in results["seizures"]:
            if seized["kind"] == "currency":
                total["currency"][seized["currency"]] += Decimal(seized["amount"])
            elif seized["kind"] == "drugs":
                total["drugs_grams"][seized["substance"]] += Decimal(seized["grams"])
            else:
                total["weapons"] += seized["count"]
    return totals


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=operations)
def test_the_statistics_per_agency_equal_the_sums_of_the_results(services, story):
    month = next(MONTHS)
    first = date(2000 + month // 12, month % 12 + 1, 1)  # past months: the operations are recorded late
    cases = {agency: services.investigations.open(agent(agency), title="T", threat_domain="cybercrime",
                                                  summary=None).result["id"] for agency in AGENCIES}
    for agency, day, results in story:
        complete(services, agency, cases[agency], first + timedelta(days=day), results)
    services.projections.catch_up()

    rows = services.statistics.statistics(COORDINATOR, group_by="agency", first=first,
                                          last=first + timedelta(days=27), min_position=None)["rows"]

    expected = by_hand(story)
    assert {row["group"] for row in rows} == set(expected)
    for row in rows:
        hand = expected[row["group"]]
        assert row["arrests"] == hand["arrests"] and row["seizures"]["weapons"] == hand["weapons"]
        assert {code: Decimal(v) for code, v in row["seizures"]["currency"].items()} == dict(hand["currency"])
        assert {s: Decimal(v) for s, v in row["seizures"]["drugs_grams"].items()} == dict(hand["drugs_grams"])
