"""The access matrix: every caller (role x agency) against every route and method (DESIGN.md §7, DOMAIN.md §5).

One case is set up per row: HSI (agent alice) owns it, DEA was shared it to read, CBP to contribute (and CBP's
agent carol logged an action on it). FBI was never shared it. Invisible is 404, indistinguishable from absent;
visible but not allowed is 403.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coordination import bootstrap
from coordination.config import Settings
from tests.api.support import (
    API,
    CALLERS,
    CASES,
    CONFLICTS,
    OFFICE,
    OPERATIONS,
    REFERRALS,
    Case,
    as_,
    created,
    log_action,
    open_case,
    plan,
    plan_body,
    problem,
    referral_step,
    shared_case,
)
from tests.conftest import POSTGRES_UP, REQUIRE_POSTGRES, drop_schema, store_env

ITEM = f"{CASES}/<uuid:investigation_id>"
OPERATION = f"{OPERATIONS}/<uuid:operation_id>"
CONFLICT = f"{CONFLICTS}/<uuid:conflict_id>"


@dataclass(frozen=True)
class Route:
    """One route and method of the API, and how a row fills its url and body for a caller."""

    name: str
    method: str
    rule: str
    path: Callable[[Case], str]
    body: Callable[[str, Case], dict[str, Any] | None] = lambda caller, case: None
    # What the row needs besides the case (an operation of it, a conflict of that): stored in case.body.
    prepare: Callable[[Any, Case], None] | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


def _correction(caller: str, case: Case) -> dict[str, Any]:
    # Each caller corrects an entry that would be theirs to correct if their access allowed it:
    # CBP its own action (version 4), everyone else the opening (alice's, or any as HSI's supervisor).
    corrects = 4 if CALLERS[caller][1] == "CBP" else 1
    return {"corrects": corrects, "changes": {"summary": "Corrected summary"}, "reason": "typo in the original"}


def _operation(client: Any, case: Case) -> None:
    """HSI plans an operation of the shared case, somewhere no other row's is (a conflict would refuse a start)."""
    where = {"lat": 10.0 + int(case.id[:8], 16) % 40000 / 1000, "lon": 20.0 + int(case.id[9:13], 16) % 40000 / 1000}
    response = client.post(OPERATIONS, json=plan_body(case.id, **where), headers=as_("hsi_agent"))
    case.body["operation"] = created(response)
    case.position = int(response.headers["Pathways-Log-Position"])


def _step(client: Any, case: Case, verb: str, caller: str) -> None:
    op = case.body["operation"]
    response = client.post(f"{OPERATIONS}/{op['id']}/{verb}", json={},
                           headers=as_(caller, If_Match=f'"{op["version"]}"'))
    case.body["operation"] = created(response, 200)
    case.position = int(response.headers["Pathways-Log-Position"])


def _approved_operation(client: Any, case: Case) -> None:
    """HSI plans an operation of the shared case and its supervisor approves it."""
    _operation(client, case)
    _step(client, case, "approve", "hsi_supervisor")


def _started_operation(client: Any, case: Case) -> None:
    """HSI's approved operation of the shared case has started."""
    _approved_operation(client, case)
    _step(client, case, "start", "hsi_agent")


def _request(client: Any, case: Case) -> None:
    """HSI's operation of the shared case asks DEA for two people."""
    _operation(client, case)
    response = client.post(f"{_op(case)}/resources", json={"kind": "personnel", "agency": "DEA", "count": 2},
                           headers=as_("hsi_agent"))
    case.body["request"] = created(response)
    case.position = int(response.headers["Pathways-Log-Position"])


def _rq(case: Case) -> str:
    return f"{_op(case)}/resources/{case.body['request']['id']}"


def _conflict(client: Any, case: Case) -> None:
    """HSI's operation of the case conflicts with one TCIU-EC plans for a case of its own."""
    where = {"lat": -33.45 + int(case.id[:6], 16) % 4000 / 100, "lon": -70.66}
    plan(client, case, **where)
    theirs = open_case(client, "tciu_agent")
    response = client.post(OPERATIONS, json=plan_body(theirs.id, **where), headers=as_("tciu_agent"))
    found = created(response)["deconfliction"]["conflicts"]
    case.body["conflict"] = next(c for c in found if c["counterpart"]["agency"] == "HSI")
    case.position = int(response.headers["Pathways-Log-Position"])


def _subject(client: Any, case: Case) -> None:
    """HSI adds a subject with a phone to the shared case."""
    response = client.post(f"{case.url}/subjects", headers=as_("hsi_agent"), json={
        "kind": "person", "name": "Rosa Diaz", "role": "finance", "identifiers": [{"type": "phone",
                                                                                  "value": "+52 55 1234 5678"}]})
    case.body["subject"] = created(response)
    case.version = case.body["subject"]["version"]


def _evidence(client: Any, case: Case) -> None:
    """HSI logs an item into evidence for the shared case."""
    response = client.post(f"{case.url}/evidence", headers=as_("hsi_agent"), json={
        "description": "Ledger of payments", "kind": "document", "seized_at": "2026-11-02T06:15:00Z",
        "custodian": "SA Alice Moreno", "location": "HSI Miami evidence vault"})
    case.body["evidence"] = created(response)
    case.position = int(response.headers["Pathways-Log-Position"])


def _lab_request(client: Any, case: Case) -> None:
    """HSI's item of the shared case went to a lab for analysis."""
    _evidence(client, case)
    response = client.post(f"{_ev(case)}/lab-requests", headers=as_("hsi_agent"),
                           json={"lab": "FBI Lab", "analysis": "latent prints"})
    case.body["evidence"] = created(response)


def _charge(client: Any, case: Case) -> None:
    """HSI proposes a count of the shared case and logs an item that could support it."""
    _evidence(client, case)
    response = client.post(f"{case.url}/charges", headers=as_("hsi_agent"), json={"statute": "8 U.S.C. 1324"})
    case.body["file"] = created(response)
    case.version += 2  # the item and the file are each named in the case's chain


def _draft(client: Any, case: Case) -> None:
    """HSI drafts a referral of the shared case to the USAO."""
    response = client.post(f"{case.url}/referrals", headers=as_("hsi_agent"), json={"office": OFFICE})
    case.body["referral"] = created(response)
    case.version += 1


def _approved(client: Any, case: Case) -> None:
    _draft(client, case)
    case.body["referral"] = referral_step(client, case.body["referral"], "approve", "hsi_supervisor")


def _submitted(client: Any, case: Case) -> None:
    """HSI referred the shared case to the USAO: its prosecutors read it from now on."""
    _approved(client, case)
    case.body["referral"] = referral_step(client, case.body["referral"], "submit", "hsi_agent")
    case.version += 1


def _rf(case: Case) -> str:
    return f"{REFERRALS}/{case.body['referral']['id']}"


def _ev(case: Case) -> str:
    return f"{API}/evidence/{case.body['evidence']['id']}"


def _op(case: Case) -> str:
    return f"{OPERATIONS}/{case.body['operation']['id']}"


def _cf(case: Case) -> str:
    return f"{CONFLICTS}/{case.body['conflict']['id']}"


ROUTES = {
    route.name: route
    for route in (
        Route("list", "GET", CASES, lambda case: f"{CASES}?min_position={case.position}&limit=100"),
        Route("open", "POST", CASES, lambda case: CASES,
              lambda caller, case: {"title": "A new lead", "threat_domain": "drug_trafficking"}),
        Route("read", "GET", ITEM, lambda case: case.url),
        Route("log action", "POST", f"{ITEM}/actions", lambda case: f"{case.url}/actions",
              lambda caller, case: {"kind": "surveillance", "summary": "Watched the stash house"}),
        Route("list subjects", "GET", f"{ITEM}/subjects", lambda case: f"{case.url}/subjects"),
        Route("add subject", "POST", f"{ITEM}/subjects", lambda case: f"{case.url}/subjects",
              lambda caller, case: {"kind": "person", "name": "Juan Perez", "role": "transporter",
                                    "identifiers": [{"type": "phone", "value": "+52 962 123 4567"}]}),
        Route("renew registration", "POST", f"{ITEM}/subjects/<uuid:subject_id>/registration",
              lambda case: f"{case.url}/subjects/{case.body['subject']['subject_id']}/registration",
              prepare=_subject),
        Route("share", "POST", f"{ITEM}/shares", lambda case: f"{case.url}/shares",
              lambda caller, case: {"agency": "TCIU-EC", "access": "read"}),
        Route("revoke share", "DELETE", f"{ITEM}/shares/<string:agency>", lambda case: f"{case.url}/shares/DEA"),
        Route("change status", "POST", f"{ITEM}/status", lambda case: f"{case.url}/status",
              lambda caller, case: {"status": "active", "reason": "Opening approved"}),
        Route("correct", "POST", f"{ITEM}/corrections", lambda case: f"{case.url}/corrections", _correction),
        Route("review case", "POST", f"{ITEM}/reviews", lambda case: f"{case.url}/reviews",
              lambda caller, case: {"note": "on track"}),
        Route("overdue", "GET", f"{API}/coordination/overdue", lambda case: f"{API}/coordination/overdue"),
        Route("timeline", "GET", f"{ITEM}/timeline", lambda case: f"{case.url}/timeline"),
        Route("integrity", "GET", f"{ITEM}/integrity", lambda case: f"{case.url}/integrity"),
        Route("history", "GET", f"{ITEM}/history", lambda case: f"{case.url}/history"),
        Route("export", "GET", f"{ITEM}/export", lambda case: f"{case.url}/export"),
        Route("history verify", "GET", f"{ITEM}/history/verify", lambda case: f"{case.url}/history/verify"),
        Route("audit", "GET", f"{API}/audit", lambda case: f"{API}/audit?limit=5"),
        Route("list evidence", "GET", f"{ITEM}/evidence", lambda case: f"{case.url}/evidence", prepare=_evidence),
        Route("log evidence", "POST", f"{ITEM}/evidence", lambda case: f"{case.url}/evidence",
              lambda caller, case: {"description": "Phone, black", "kind": "physical", "quantity": 1,
                                    "seized_at": "2026-11-02T06:15:00Z", "custodian": "SA Moreno",
                                    "location": "Vault 2"}),
        Route("read evidence", "GET", f"{API}/evidence/<uuid:evidence_id>", _ev, prepare=_evidence),
        Route("transfer evidence", "POST", f"{API}/evidence/<uuid:evidence_id>/transfers",
              lambda case: f"{_ev(case)}/transfers",
              lambda caller, case: {"from": "SA Alice Moreno", "to": "Lab tech J. Chen", "purpose": "lab",
                                    "at": "2026-11-03T09:00:00Z", "seal_intact": True}, prepare=_evidence),
        Route("request lab", "POST", f"{API}/evidence/<uuid:evidence_id>/lab-requests",
              lambda case: f"{_ev(case)}/lab-requests",
              lambda caller, case: {"lab": "DEA South Central Lab", "analysis": "identify"}, prepare=_evidence),
        Route("report lab", "POST", f"{API}/evidence/<uuid:evidence_id>/lab-results",
              lambda case: f"{_ev(case)}/lab-results",
              lambda caller, case: {"request_id": case.body["evidence"]["lab_requests"][0]["id"],
                                    "findings": "two prints of the subject"}, prepare=_lab_request),
        Route("case file", "GET", f"{ITEM}/case-file", lambda case: f"{case.url}/case-file"),
        Route("propose charge", "POST", f"{ITEM}/charges", lambda case: f"{case.url}/charges",
              lambda caller, case: {"statute": "18 U.S.C. 1591(a)"}),
        Route("support element", "POST", f"{ITEM}/charges/<uuid:charge_id>/support",
              lambda case: f"{case.url}/charges/{case.body['file']['created_id']}/support",
              lambda caller, case: {"element": 0, "kind": "evidence", "ref": case.body["evidence"]["id"]},
              prepare=_charge),
        Route("add witness", "POST", f"{ITEM}/witnesses", lambda case: f"{case.url}/witnesses",
              lambda caller, case: {"name": "SA Ruiz", "kind": "law_enforcement", "agency": "HSI",
                                    "anticipated_testimony": "the seizure at the stash house"}),
        Route("log production", "POST", f"{ITEM}/discovery", lambda case: f"{case.url}/discovery",
              lambda caller, case: {"description": "Reports", "produced_to": "Counsel", "produced_at": "2026-11-20",
                                    "bates_start": "HSI-0001", "bates_end": "HSI-0040"}),
        Route("review disclosure", "POST", f"{ITEM}/disclosure-reviews", lambda case: f"{case.url}/disclosure-reviews",
              lambda caller, case: {"kind": "brady_giglio", "agency": "HSI"}),
        Route("statutes", "GET", f"{API}/statutes", lambda case: f"{API}/statutes"),
        Route("readiness", "GET", f"{ITEM}/readiness",
              lambda case: f"{case.url}/readiness?min_position={case.position}"),
        Route("least ready", "GET", f"{API}/coordination/readiness",
              lambda case: f"{API}/coordination/readiness?min_position={case.position}&limit=100"),
        Route("list referrals", "GET", f"{ITEM}/referrals", lambda case: f"{case.url}/referrals", prepare=_submitted),
        Route("draft referral", "POST", f"{ITEM}/referrals", lambda case: f"{case.url}/referrals",
              lambda caller, case: {"office": OFFICE, "memo": "ready"}),
        Route("read referral", "GET", f"{REFERRALS}/<uuid:referral_id>", _rf, prepare=_submitted),
        Route("approve referral", "POST", f"{REFERRALS}/<uuid:referral_id>/approve",
              lambda case: f"{_rf(case)}/approve",
              lambda caller, case: {"note": "approved"}, prepare=_draft),
        Route("submit referral", "POST", f"{REFERRALS}/<uuid:referral_id>/submit", lambda case: f"{_rf(case)}/submit",
              lambda caller, case: {}, prepare=_approved),
        Route("accept referral", "POST", f"{REFERRALS}/<uuid:referral_id>/accept", lambda case: f"{_rf(case)}/accept",
              lambda caller, case: {"memo": "indictment to follow"}, prepare=_submitted),
        Route("decline referral", "POST", f"{REFERRALS}/<uuid:referral_id>/decline",
              lambda case: f"{_rf(case)}/decline",
              lambda caller, case: {"reason": "non_criminal_alternative", "memo": "civil forfeiture instead"},
              prepare=_submitted),
        Route("return referral", "POST", f"{REFERRALS}/<uuid:referral_id>/return", lambda case: f"{_rf(case)}/return",
              lambda caller, case: {"memo": "find the courier"}, prepare=_submitted),
        Route("plan operation", "POST", OPERATIONS, lambda case: OPERATIONS,
              lambda caller, case: plan_body(case.id, lat=-12.0 - int(case.id[:6], 16) % 4000 / 100, lon=-77.0)),
        Route("list operations", "GET", OPERATIONS,
              lambda case: f"{OPERATIONS}?min_position={case.position}&investigation_id={case.id}",
              prepare=_operation),
        Route("read operation", "GET", OPERATION, _op, prepare=_operation),
        Route("amend operation", "POST", f"{OPERATION}/amend", lambda case: f"{_op(case)}/amend",
              lambda caller, case: {"title": "Entry at dawn"}, prepare=_operation),
        Route("withdraw operation", "POST", f"{OPERATION}/withdraw", lambda case: f"{_op(case)}/withdraw",
              lambda caller, case: {"reason": "warrant not signed"}, prepare=_operation),
        Route("approve operation", "POST", f"{OPERATION}/approve", lambda case: f"{_op(case)}/approve",
              lambda caller, case: {"note": "warrant signed"}, prepare=_operation),
        Route("exempt operation", "POST", f"{OPERATION}/exempt", lambda case: f"{_op(case)}/exempt",
              lambda caller, case: {"reason": "the other team stood down"}, prepare=_operation),
        Route("start operation", "POST", f"{OPERATION}/start", lambda case: f"{_op(case)}/start",
              lambda caller, case: {}, prepare=_approved_operation),
        Route("complete operation", "POST", f"{OPERATION}/complete", lambda case: f"{_op(case)}/complete",
              lambda caller, case: {"results": {"arrests": {"count": 1}}}, prepare=_started_operation),
        Route("cancel operation", "POST", f"{OPERATION}/cancel", lambda case: f"{_op(case)}/cancel",
              lambda caller, case: {"reason": "target moved"}, prepare=_operation),
        Route("list resources", "GET", f"{API}/resources", lambda case: f"{API}/resources?limit=5"),
        Route("commitments", "GET", f"{API}/coordination/resources", lambda case: f"{API}/coordination/resources"),
        Route("statistics", "GET", f"{API}/coordination/statistics", lambda case: f"{API}/coordination/statistics"),
        Route("register resource", "POST", f"{API}/resources", lambda case: f"{API}/resources",
              lambda caller, case: {"kind": "vehicle", "name": "Surveillance van 4"}),
        Route("request resource", "POST", f"{OPERATION}/resources", lambda case: f"{_op(case)}/resources",
              lambda caller, case: {"kind": "personnel", "agency": "CBP", "count": 3}, prepare=_operation),
        Route("commit resource", "POST", f"{OPERATION}/resources/<uuid:request_id>/commit",
              lambda case: f"{_rq(case)}/commit", lambda caller, case: {}, prepare=_request),
        Route("decline resource", "POST", f"{OPERATION}/resources/<uuid:request_id>/decline",
              lambda case: f"{_rq(case)}/decline", lambda caller, case: {"reason": "all deployed"},
              prepare=_request),
        Route("list conflicts", "GET", CONFLICTS, lambda case: f"{CONFLICTS}?min_position={case.position}&limit=100",
              prepare=_conflict),
        Route("board", "GET", f"{API}/coordination/board",
              lambda case: f"{API}/coordination/board?min_position={case.position}&hours=168", prepare=_conflict),
        Route("notifications", "GET", f"{API}/notifications", lambda case: f"{API}/notifications?limit=5"),
        Route("notification stream", "GET", f"{API}/notifications/stream", lambda case: f"{API}/notifications/stream"),
        Route("read conflict", "GET", CONFLICT, _cf, prepare=_conflict),
        Route("take conflict", "POST", f"{CONFLICT}/take", lambda case: f"{_cf(case)}/take",
              lambda caller, case: {}, prepare=_conflict),
        Route("acknowledge conflict", "POST", f"{CONFLICT}/acknowledge", lambda case: f"{_cf(case)}/acknowledge",
              lambda caller, case: {}, prepare=_conflict),
        Route("resolve conflict", "POST", f"{CONFLICT}/resolve", lambda case: f"{_cf(case)}/resolve",
              lambda caller, case: {"resolution": "proceed_separately", "note": "different floors"},
              prepare=_conflict),
        Route("escalate conflict", "POST", f"{CONFLICT}/escalate", lambda case: f"{_cf(case)}/escalate",
              lambda caller, case: {"reason": "both insist on the same night"}, prepare=_conflict),
    )
}
_OPERATION_ROUTES = ("read operation", "amend operation", "withdraw operation", "approve operation",
                     "exempt operation", "start operation", "complete operation", "cancel operation")
_REQUEST_ROUTES = ("commit resource", "decline resource")
_EVIDENCE_ROUTES = ("read evidence", "transfer evidence", "request lab", "report lab")
_REFERRAL_ROUTES = ("read referral", "approve referral", "submit referral", "accept referral", "decline referral",
                    "return referral")
_FILE_WRITES = ("propose charge", "support element", "add witness", "log production", "review disclosure",
                "draft referral")
_CONFLICT_ROUTES = ("read conflict", "take conflict", "acknowledge conflict", "resolve conflict", "escalate conflict")

_ITEM_ROUTES = ("read", "list subjects", "log action", "add subject", "renew registration",  # every route of a case
                "share", "revoke share", "change status", "correct", "review case",
                "timeline", "integrity", "history", "history verify", "export", "list evidence", "log evidence",
                *_EVIDENCE_ROUTES, "case file", *_FILE_WRITES, "list referrals", *_REFERRAL_ROUTES, "readiness")
# What a caller who sees the case reads through it by the READ policy (prosecutors, through a referral only).
_CASE_READS = ("read", "list subjects", "timeline", "integrity", "history", "history verify", "read operation",
               "list evidence", "read evidence", "case file", "list referrals", "read referral", "accept referral",
               "decline referral", "return referral", "readiness")


def _row(**statuses: int) -> dict[str, int]:
    return {name.replace("_", " "): status for name, status in statuses.items()}


def _case_route_denial(status: int) -> dict[str, int]:
    return {"list": status, "open": status, **{name: status for name in _ITEM_ROUTES}, "audit": 403, "statutes": 200,
            "least ready": status,
            "plan operation": status, **{name: status for name in _OPERATION_ROUTES + _CONFLICT_ROUTES},
            "list conflicts": status, "board": 403, "notifications": status, "list operations": status,
            "notification stream": status, "overdue": 403, "statistics": 403,
            **_resources(status, status, status, status)}


def _resources(listing: int, register: int, request: int, answer: int) -> dict[str, int]:
    """`answer`: committing or declining what HSI's operation asked of DEA."""
    return {"list resources": listing, "commitments": listing, "register resource": register,
            "request resource": request,
            "commit resource": answer, "decline resource": answer}


# Every case reader lists its agency's conflicts and notifications; only coordinators read the board and the
# statistics.
_AGENCY_READS = {"list conflicts": 200, "board": 403, "notifications": 200, "notification stream": 200,
                 "statistics": 403}


# Every reader of a case reads its history: the timeline, the replay as it stood and both chain checks.
_HISTORY_READS = {"timeline": 200, "integrity": 200, "history": 200, "history verify": 200}


def _evidence_row(log: int, read: int, custody: int) -> dict[str, int]:
    """`custody`: recording a hand-over or lab work of an item HSI logged."""
    return {"log evidence": log, "list evidence": read, "read evidence": read, "transfer evidence": custody,
            "request lab": custody, "report lab": custody}


def _prosecution(file: int, read: int, approve: int, submit: int, decide: int) -> dict[str, int]:
    """`file`: writing the case file and drafting referrals; `read`: the file and referrals (one submitted)."""
    return {**{name: file for name in _FILE_WRITES}, "case file": read, "list referrals": read,
            "read referral": read, "approve referral": approve, "submit referral": submit,
            **{f"{verb} referral": decide for verb in ("accept", "decline", "return")}, "statutes": 200,
            "readiness": read, "least ready": 200}


# A prosecutor whose office was not referred the case: reads find nothing, every write is refused by role.
_PROSECUTOR_BEFORE_REFERRAL = {**_case_route_denial(403), **{name: 404 for name in _CASE_READS}, "statutes": 200,
                               "least ready": 200}


def _operations(plan: int, read: int, write: int, supervise: int) -> dict[str, int]:
    """`write`: the planner's changes and lifecycle steps; `supervise`: a supervisor's approval and exemption."""
    return {"plan operation": plan, "read operation": read, "amend operation": write, "withdraw operation": write,
            "start operation": write, "complete operation": write, "cancel operation": write,
            "approve operation": supervise, "exempt operation": supervise,
            "list operations": 200 if read in (200, 404) else read}


def _conflicts(read: int, take: int, acknowledge: int, settle: int) -> dict[str, int]:
    return {"read conflict": read, "take conflict": take, "acknowledge conflict": acknowledge,
            "resolve conflict": settle, "escalate conflict": settle}


_PARTY_WRITER = _conflicts(read=200, take=403, acknowledge=200, settle=200)
_NOT_PARTY = _conflicts(read=404, take=404, acknowledge=404, settle=404)


MATRIX: dict[str, dict[str, int]] = {
    "hsi_agent": _row(list=200, open=201, read=200, list_subjects=200, log_action=201, add_subject=201,
                      renew_registration=200, share=200, revoke_share=200, change_status=403, correct=201,
                      review_case=403, audit=403, overdue=403, export=200)
    | _HISTORY_READS | _operations(201, 200, 200, 403) | _PARTY_WRITER | _AGENCY_READS | _resources(200, 201, 201, 403)
    | _evidence_row(201, 200, 201) | _prosecution(201, 200, 403, 200, 403),
    "hsi_supervisor": _row(list=200, open=201, read=200, list_subjects=200, log_action=201, add_subject=201,
                           renew_registration=200, share=200, revoke_share=200, change_status=200, correct=201,
                           review_case=200, audit=403, overdue=200, export=200)
    | _HISTORY_READS | _operations(201, 200, 200, 200) | _PARTY_WRITER | _AGENCY_READS | _resources(200, 201, 201, 403)
    | _evidence_row(201, 200, 201) | _prosecution(201, 200, 200, 200, 403),
    "hsi_analyst": _row(list=200, open=403, read=200, list_subjects=200, log_action=403, add_subject=403,
                        renew_registration=403, share=403, revoke_share=403, change_status=403, correct=403,
                        review_case=403, audit=403, overdue=403, export=200)
    | _HISTORY_READS | _operations(403, 200, 403, 403) | _conflicts(200, 403, 403, 403) | _AGENCY_READS
    | _resources(200, 403, 403, 403) | _evidence_row(403, 200, 403) | _prosecution(403, 200, 403, 403, 403),
    # A prosecutor of an agency with cases of its own reads none of them: only what is referred to their office.
    "hsi_prosecutor": _PROSECUTOR_BEFORE_REFERRAL,
    # The office the matrix's referrals go to: it reads them and decides them once submitted, and nothing before.
    "usao_prosecutor": {**_PROSECUTOR_BEFORE_REFERRAL, "list referrals": 200, "read referral": 200,
                        "accept referral": 200, "decline referral": 200, "return referral": 200},
    "hsi_auditor": {**_case_route_denial(403), "audit": 200},
    "dea_agent": _row(list=200, open=201, read=200, list_subjects=200, log_action=403, add_subject=403,
                      renew_registration=403, share=403, revoke_share=403, change_status=403, correct=403,
                      review_case=403, audit=403, overdue=403, export=403)
    | _HISTORY_READS | _operations(403, 200, 403, 403) | _NOT_PARTY | _AGENCY_READS | _resources(200, 201, 403, 200)
    | _evidence_row(403, 200, 403) | _prosecution(403, 200, 403, 403, 403),
    "cbp_agent": _row(list=200, open=201, read=200, list_subjects=200, log_action=201, add_subject=201,
                      renew_registration=200, share=403, revoke_share=403, change_status=403, correct=201,
                      review_case=403, audit=403, overdue=403, export=403)
    | _HISTORY_READS | _operations(201, 200, 403, 403) | _NOT_PARTY | _AGENCY_READS | _resources(200, 201, 403, 404)
    | _evidence_row(201, 200, 403) | _prosecution(403, 200, 403, 403, 403),
    "fbi_agent": {**{name: 404 for name in _ITEM_ROUTES}, "list": 200, "open": 201, "audit": 403, "overdue": 403,
                  **_operations(404, 404, 404, 404), **_NOT_PARTY, **_AGENCY_READS,
                  **_resources(200, 201, 404, 404), "statutes": 200, "least ready": 200},
    # The coordination group sees every conflict and every overdue case, and nothing of the cases behind them.
    "ocg_coordinator": {**_case_route_denial(403), **_conflicts(read=200, take=200, acknowledge=403, settle=200),
                        "list conflicts": 200, "board": 200, "notifications": 200, "notification stream": 200,
                        "overdue": 200, "statistics": 200, **_resources(200, 201, 403, 200)},
}

# Agencies that see the case in their list.
SEES_THE_CASE = frozenset({"HSI", "DEA", "CBP"})

KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _verb(status: int) -> str:
    return {403: "is forbidden", 404: "cannot see"}.get(status, "may")


def _short(rule: str) -> str:
    return rule.removeprefix(API).replace("<uuid:investigation_id>", "{id}").replace("<string:agency>", "{agency}")


def _rows() -> Iterator[Any]:
    for caller, expected in MATRIX.items():
        for name, route in ROUTES.items():
            status = expected[name]
            marks = []
            if (caller, name) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(reason=KNOWN_BUGS[caller, name], strict=True, raises=AssertionError))
            yield pytest.param(
                caller, route.method, route.rule, status, marks=marks,
                id=f"{caller} {_verb(status)} {name} ({route.method} {_short(route.rule)}) {status}",
            )


ROUTE_OF = {(route.method, route.rule): route for route in ROUTES.values()}


# --- one store and one projection worker for the whole module; every row sets up its own case -------------

@dataclass
class World:
    services: bootstrap.Services
    app: Any
    client: Any


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "postgres" and not POSTGRES_UP:
        if REQUIRE_POSTGRES:
            pytest.fail("PATHWAYS_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
        pytest.skip("PostgreSQL is not reachable")
    from api import create_app

    schema = f"t_{uuid.uuid4().hex[:16]}"
    settings = Settings.from_env(store_env(request.param, Path(tmp_path_factory.mktemp("matrix")), schema))
    bootstrap.migrate(settings)
    services = bootstrap.build(settings)
    stop = threading.Event()
    worker = threading.Thread(target=services.projections.run_forever, args=(stop, 0.02), daemon=True)
    worker.start()
    app = create_app({"SERVICES": services, "TESTING": True})
    try:
        yield World(services, app, app.test_client())
    finally:
        stop.set()
        worker.join(timeout=10)
        services.close()
        if request.param == "postgres":
            drop_schema(schema)


def _version(route: Route, case: Case) -> int:
    """The version a write names in If-Match: of the case, or of the operation, request or conflict it acts on."""
    for name, routes in (("operation", _OPERATION_ROUTES), ("conflict", _CONFLICT_ROUTES),
                         ("request", _REQUEST_ROUTES), ("evidence", _EVIDENCE_ROUTES),
                         ("referral", _REFERRAL_ROUTES), ("file", ("support element",))):
        if route.name in routes:
            return int(case.body[name].get("version", 1))
    return case.version


def _call(world: World, caller: str, route: Route, case: Case, path: str | None = None) -> Any:
    unconditional = route.name in ("open", "plan operation", "register resource", "request resource",
                                   "log evidence", *_FILE_WRITES[:1], *_FILE_WRITES[2:])
    conditional = route.is_write and not unconditional
    headers = as_(caller, If_Match=f'"{_version(route, case)}"') if conditional else as_(caller)
    return world.client.open(path or route.path(case), method=route.method, json=route.body(caller, case),
                             headers=headers)


def _check_stream(world: World, caller: str, route: Route, case: Case, expected: int) -> None:
    """A stream never ends by itself: read its status and first frame, then hang up."""
    response = world.client.get(route.path(case), headers=as_(caller), buffered=False)
    try:
        assert response.status_code == expected, response.status_code
        if expected == 200:
            assert response.mimetype == "text/event-stream"
            assert next(iter(response.response)).startswith(b"retry:")
        else:
            assert response.mimetype == "application/problem+json"
    finally:
        response.close()


def _check_allowed_body(route: Route, caller: str, case: Case, body: dict[str, Any]) -> None:
    agency = CALLERS[caller][1]
    if route.name == "list":
        ids = [item["id"] for item in body["items"]]
        assert (case.id in ids) == (agency in SEES_THE_CASE), ids
    elif route.name == "open":
        assert body["owning_agency"] == agency and body["case_agent"]["sub"] == CALLERS[caller][0]
    elif route.name in ("read", "share", "revoke share", "change status", "review case"):
        assert body["id"] == case.id
        assert body["version"] == case.version + (route.name != "read")
    elif route.name in ("log action", "add subject", "correct"):
        assert body["investigation_id"] == case.id
        assert body["version"] == case.version + 1
    elif route.name == "timeline":
        assert [item["version"] for item in body["items"]][:1] == [1]
    elif route.name == "integrity":
        assert body["intact"] is True and body["events"] == case.version
    elif route.name == "history":
        assert body["state"]["id"] == case.id and body["known_version"] == body["current_version"] == case.version
    elif route.name == "history verify":
        assert body["valid"] is True and body["events_checked"] == case.version
    elif route.name == "renew registration":
        assert body["subject_id"] == case.body["subject"]["subject_id"] and body["version"] == case.version
    elif route.name == "plan operation":
        assert body["investigation_id"] == case.id and body["owning_agency"] == agency
    elif route.name in _OPERATION_ROUTES:
        assert body["id"] == case.body["operation"]["id"]
    elif route.name == "list operations":
        ids = [item["id"] for item in body["items"]]
        assert (case.body["operation"]["id"] in ids) == (agency in SEES_THE_CASE), ids
    elif route.name == "list conflicts":
        ids = [item["id"] for item in body["items"]]
        assert (case.body["conflict"]["id"] in ids) == (agency == "HSI"), ids
    elif route.name == "board":
        assert case.body["conflict"]["id"] in [item["id"] for item in body["open"]]
        assert case.id not in str(body)
    elif route.name == "notifications":
        assert isinstance(body["items"], list)
    elif route.name in _CONFLICT_ROUTES:
        assert body["id"] == case.body["conflict"]["id"]
        assert "investigation_id" not in str(body) and case.id not in str(body)
    elif route.name == "overdue":
        assert isinstance(body["items"], list) and case.body["title"] not in str(body)
    elif route.name == "list resources":
        assert isinstance(body["items"], list)
    elif route.name == "statistics":
        assert isinstance(body["rows"], list) and case.id not in str(body)
    elif route.name == "commitments":
        assert {"days", "pending", "over_commitments"} <= set(body) and case.id not in str(body)
    elif route.name == "register resource":
        assert body["agency"] == agency and body["kind"] == "vehicle"
    elif route.name == "request resource":
        assert body["operation_id"] == case.body["operation"]["id"] and body["agency"] == "CBP"
    elif route.name in _REQUEST_ROUTES:
        assert body["id"] == case.body["request"]["id"] and case.id not in str(body)
    elif route.name == "list evidence":
        assert [item["id"] for item in body["items"]] == [case.body["evidence"]["id"]]
    elif route.name == "log evidence":
        assert body["investigation_id"] == case.id and body["owning_agency"] == agency
    elif route.name in _EVIDENCE_ROUTES:
        assert body["id"] == case.body["evidence"]["id"] and body["version"] >= case.body["evidence"]["version"]
    elif route.name == "case file":
        assert body["investigation_id"] == case.id
    elif route.name in _FILE_WRITES[:-1]:
        assert body["investigation_id"] == case.id and body["version"] >= 1
    elif route.name == "draft referral":
        assert (body["investigation_id"], body["status"], body["owning_agency"]) == (case.id, "draft", agency)
    elif route.name == "list referrals":
        assert [r["id"] for r in body["items"]] == [case.body["referral"]["id"]]
    elif route.name in _REFERRAL_ROUTES:
        assert body["id"] == case.body["referral"]["id"]
    elif route.name == "readiness":
        assert body["investigation_id"] == case.id and len(body["items"]) == 8
    elif route.name == "least ready":
        # Every row opens cases, so this one may be past the first page; an agency that may not see it never lists it.
        assert agency in SEES_THE_CASE or case.id not in [item["investigation_id"] for item in body["items"]]
    elif route.name == "statutes":
        assert body["items"]
    elif route.name == "audit":
        assert isinstance(body["items"], list) and body["items"]


@pytest.mark.parametrize(("caller", "method", "rule", "expected"), list(_rows()))
def test_access_matrix(world: World, caller: str, method: str, rule: str, expected: int) -> None:
    route = ROUTE_OF[method, rule]
    case = shared_case(world.client)
    if route.prepare is not None:
        route.prepare(world.client, case)

    if route.name == "notification stream":
        _check_stream(world, caller, route, case, expected)
        return
    response = _call(world, caller, route, case)

    if expected < 400 and route.name == "export":  # a zip, not JSON (its checks: tests/api/test_export_api.py)
        assert response.status_code == expected
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(response.get_data())).read("manifest.json"))
        assert manifest["record_id"] == case.id
        return
    if expected < 400:
        body = created(response, expected)
        _check_allowed_body(route, caller, case, body)
        return
    refused = problem(response, expected)
    text = response.get_data(as_text=True)
    assert case.body["case_number"] not in text and case.body["title"] not in text
    if expected == 404:
        # Not shared is indistinguishable from absent: the same answer as for an id that names nothing.
        absent = Case(id=str(uuid.uuid4()), version=case.version, position=case.position,
                      body={"operation": {"id": str(uuid.uuid4())}, "conflict": {"id": str(uuid.uuid4())},
                            "request": {"id": str(uuid.uuid4())},
                            "evidence": {"id": str(uuid.uuid4()), "lab_requests": [{"id": str(uuid.uuid4())}]},
                            "file": {"created_id": str(uuid.uuid4()), "version": 2},
                            "referral": {"id": str(uuid.uuid4()), "version": 1},
                            "subject": {"subject_id": str(uuid.uuid4())}})
        twin = problem(_call(world, caller, route, absent), 404)
        assert {k: refused[k] for k in ("type", "title", "detail")} == {k: twin[k] for k in ("type", "title", "detail")}


def test_the_matrix_has_a_row_for_every_caller_on_every_api_route_and_method(world: World) -> None:
    served = {
        (method, rule.rule)
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(method, rule) for _, method, rule, _ in (p.values for p in _rows())}

    assert served == covered, f"routes without rows: {served - covered}; rows without routes: {covered - served}"
    assert all(set(expected) == set(ROUTES) for expected in MATRIX.values())


def test_the_fbi_never_finds_the_case_in_its_list_whatever_the_filter(world: World) -> None:
    case = shared_case(world.client)
    for query in ("", "&agency=HSI", "&status=opened", "&threat_domain=human_smuggling"):
        response = world.client.get(f"{CASES}?min_position={case.position}&limit=100{query}",
                                    headers=as_("fbi_agent"))
        ids = [item["id"] for item in created(response, 200)["items"]]
        assert case.id not in ids, query


def test_a_partner_loses_sight_of_the_case_when_its_share_is_revoked(world: World) -> None:
    case = shared_case(world.client)
    revoked = world.client.delete(f"{case.url}/shares/DEA", headers=as_("hsi_agent"))
    assert created(revoked, 200)["shared_with"] == [{"agency": "CBP", "access": "contribute"}]
    position = revoked.headers["Pathways-Log-Position"]

    problem(world.client.get(case.url, headers=as_("dea_agent")), 404)
    listed = world.client.get(f"{CASES}?min_position={position}&limit=100", headers=as_("dea_agent"))
    assert case.id not in [item["id"] for item in created(listed, 200)["items"]]


def test_an_idempotency_key_replayed_by_another_user_of_the_agency_is_refused(world: World) -> None:
    case = open_case(world.client)
    key = f"k-{uuid.uuid4()}"
    log_action(world.client, case, "hsi_agent", summary="Met the informant", Idempotency_Key=key)

    replay = world.client.post(f"{case.url}/actions", json={"kind": "interview", "summary": "Met the informant"},
                               headers=as_("hsi_prosecutor", Idempotency_Key=key))

    problem(replay, 422)
