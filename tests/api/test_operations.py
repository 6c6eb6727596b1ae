"""Operational routes: liveness, readiness and metrics need no token and tell an operator what to act on."""

from __future__ import annotations

from tests.api.support import open_case


def test_liveness_answers_without_a_token(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readiness_reports_each_store_and_the_projection_lag(client):
    open_case(client)  # no worker runs here, so the case list trails the ledger
    report = client.get("/readyz").get_json()
    assert report["ready"] is True and report["checks"]["projections"]["lag"]["case_list"] > 0


def test_metrics_export_how_far_the_case_list_trailed_the_ledger_at_the_last_readiness_check(client):
    open_case(client)
    client.get("/readyz")
    text = client.get("/metrics").get_data(as_text=True)
    prefix = 'pathways_projection_lag_events{projection="case_list"}'
    lag = next(line for line in text.splitlines() if line.startswith(prefix))
    assert float(lag.rsplit(" ", 1)[1]) > 0
