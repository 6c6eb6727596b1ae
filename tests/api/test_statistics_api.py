"""The statistics through the API: per agency, threat domain or month, as JSON and as CSV, for coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.support import API, OPERATIONS, as_, created, open_case, plan_body, problem

STATISTICS = f"{API}/coordination/statistics"


def completed(client: Any, results: dict[str, Any]) -> Any:
    """An HSI operation recorded late and completed with `results`; the completion's response."""
    start = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    case = open_case(client, "hsi_agent")
    body = plan_body(case.id, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat(),
                     late_entry_reason="exigent", lat=10.0, lon=20.0)
    op = created(client.post(OPERATIONS, json=body, headers=as_("hsi_agent")))
    return client.post(f"{OPERATIONS}/{op['id']}/complete", json={"results": results},
                       headers=as_("hsi_agent", If_Match=f'"{op["version"]}"'))


def statistics(client: Any, response: Any, query: str = "", accept: str = "application/json") -> Any:
    position = response.headers["Pathways-Log-Position"]
    return client.get(f"{STATISTICS}?min_position={position}{query}", headers=as_("ocg_coordinator", Accept=accept))


RESULTS = {"arrests": {"count": 3}, "seizures": [{"kind": "currency", "amount": "12500.50", "currency": "USD"},
                                                 {"kind": "currency", "amount": "100", "currency": "EUR"},
                                                 {"kind": "drugs", "substance": "fentanyl", "grams": "850"}]}


def test_the_statistics_of_an_agency_add_up_its_operations_results_per_currency(client, worker):
    completed(client, RESULTS)
    response = completed(client, {"seizures": [{"kind": "currency", "amount": "0.50", "currency": "USD"}]})

    (row,) = created(statistics(client, response), 200)["rows"]

    assert (row["group"], row["arrests"], row["seizures"]["currency"], row["seizures"]["drugs_grams"]) == (
        "HSI", 3, {"EUR": "100.00", "USD": "12501.00"}, {"fentanyl": "850"})


def test_the_statistics_by_threat_domain_name_the_cases_domain(client, worker):
    response = completed(client, RESULTS)
    (row,) = created(statistics(client, response, "&group_by=threat_domain"), 200)["rows"]
    assert row["group"] == "human_smuggling"


def test_the_statistics_by_month_name_the_month_of_completion(client, worker):
    response = completed(client, RESULTS)
    (row,) = created(statistics(client, response, "&group_by=month"), 200)["rows"]
    assert row["group"] == datetime.now(UTC).strftime("%Y-%m")


def test_the_statistics_as_csv_have_a_column_per_currency(client, worker):
    response = statistics(client, completed(client, RESULTS), accept="text/csv")

    header, line = response.get_data(as_text=True).splitlines()
    values = dict(zip(header.split(","), line.split(","), strict=True))

    assert response.mimetype == "text/csv"
    assert (values["group"], values["arrests"], values["seizures.currency.USD"]) == ("HSI", "3", "12500.50")


def test_an_agent_may_not_read_the_statistics(client):
    problem(client.get(STATISTICS, headers=as_("hsi_agent")), 403)


def test_an_unknown_grouping_is_refused_naming_group_by(client):
    response = client.get(f"{STATISTICS}?group_by=planet", headers=as_("ocg_coordinator"))
    assert list(problem(response, 422)["errors"]) == ["group_by"]
