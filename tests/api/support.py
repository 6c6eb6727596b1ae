"""Helpers shared by the API tests: who calls, how a case is set up, what a problem response looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conftest import auth

API = "/api/v1"
CASES = f"{API}/investigations"
PROBLEM_JSON = "application/problem+json"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages")

# name: (sub, agency, roles)
CALLERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "hsi_agent": ("alice", "HSI", ("agent",)),
    "hsi_supervisor": ("sam", "HSI", ("supervisor",)),
    "hsi_analyst": ("ann", "HSI", ("analyst",)),
    "hsi_prosecutor": ("pat", "HSI", ("prosecutor",)),
    "hsi_auditor": ("audrey", "HSI", ("auditor",)),
    "dea_agent": ("dave", "DEA", ("agent",)),
    "cbp_agent": ("carol", "CBP", ("agent",)),
    "fbi_agent": ("frank", "FBI", ("agent",)),
    "tciu_agent": ("tomas", "TCIU-EC", ("agent",)),
    "ocg_coordinator": ("cora", "OCG", ("coordinator",)),
    "usao_prosecutor": ("paula", "USAO-SDFL", ("prosecutor",)),
}


def as_(caller: str, **headers: str) -> dict[str, str]:
    """The headers of a request by one of the CALLERS, plus extra headers (underscores become dashes)."""
    sub, agency, roles = CALLERS[caller]
    return auth(sub, agency, roles, **headers)


@dataclass
class Case:
    """An investigation as a test set it up: its id, its url, its current version and the last log position."""

    id: str
    version: int
    position: int
    body: dict[str, Any]

    @property
    def url(self) -> str:
        return f"{CASES}/{self.id}"


def no_traceback(response: Any) -> None:
    text = response.get_data(as_text=True)
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"the response leaks a traceback: {text[:500]}"


def created(response: Any, status: int = 201) -> dict[str, Any]:
    """The JSON body of a successful write, after checking its status."""
    assert response.status_code == status, response.get_data(as_text=True)
    no_traceback(response)
    return response.get_json()


def open_case(client: Any, caller: str = "hsi_agent", *, title: str = "Smuggling corridor via Tapachula",
              threat_domain: str = "human_smuggling", summary: str | None = None, **headers: str) -> Case:
    """Open an investigation as `caller`; returns the case at version 1."""
    payload: dict[str, Any] = {"title": title, "threat_domain": threat_domain}
    if summary is not None:
        payload["summary"] = summary
    response = client.post(CASES, json=payload, headers=as_(caller, **headers))
    body = created(response)
    return Case(id=body["id"], version=body["version"], position=int(response.headers["Pathways-Log-Position"]),
                body=body)


def write(client: Any, case: Case, method: str, path: str, payload: dict[str, Any] | None, caller: str = "hsi_agent",
          *, status: int, **headers: str) -> dict[str, Any]:
    """A write to one of the case's routes that must answer `status`; the case's version and position follow it."""
    response = client.open(f"{case.url}{path}", method=method, json=payload, headers=as_(caller, **headers))
    body = created(response, status)
    case.version = int(body["version"])
    if "Pathways-Log-Position" in response.headers:
        case.position = int(response.headers["Pathways-Log-Position"])
    return body


def share(client: Any, case: Case, agency: str, access: str, caller: str = "hsi_agent") -> dict[str, Any]:
    return write(client, case, "POST", "/shares", {"agency": agency, "access": access}, caller, status=200)


def log_action(client: Any, case: Case, caller: str = "hsi_agent", summary: str = "Interviewed the driver",
               **headers: str) -> dict[str, Any]:
    return write(client, case, "POST", "/actions", {"kind": "interview", "summary": summary}, caller,
                 status=201, **headers)


def shared_case(client: Any) -> Case:
    """The case of the access matrix: HSI (alice) owns it, DEA may read it, CBP may contribute and did (carol)."""
    case = open_case(client, "hsi_agent")
    share(client, case, "DEA", "read")
    share(client, case, "CBP", "contribute")
    log_action(client, case, "cbp_agent", summary="Border crossing of the lead vehicle at Laredo")
    return case


def problem(response: Any, status: int) -> dict[str, Any]:
    """The RFC 9457 problem details of `response`, after checking that it is one, with `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON, response.headers
    no_traceback(response)
    body = response.get_json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], body
    return body


OPERATIONS = f"{API}/operations"
CONFLICTS = f"{API}/deconfliction/conflicts"


def plan_body(investigation_id: str, *, lat: float = 25.7617, lon: float = -80.1918, kind: str = "raid",
              starts_at: str = "2031-03-10T10:00:00Z", ends_at: str = "2031-03-10T12:00:00Z", **fields: Any) -> dict:
    """A plan of an operation of the investigation, in Miami unless told otherwise."""
    return {"investigation_id": investigation_id, "kind": kind, "location": {"lat": lat, "lon": lon},
            "starts_at": starts_at, "ends_at": ends_at,
            "point_of_contact": {"name": "Det. Ruiz", "phone": "+1 305 555 0100"},
            "undercover": False, "armed_subjects": False, **fields}


def plan(client: Any, case: Case, caller: str = "hsi_agent", **fields: Any) -> dict[str, Any]:
    """Plan an operation of `case` as `caller`; returns the checked operation."""
    return created(client.post(OPERATIONS, json=plan_body(case.id, **fields), headers=as_(caller)))


REFERRALS = f"{API}/referrals"
OFFICE = "USAO-SDFL"  # the office of the "usao_prosecutor" caller


def referral_step(client: Any, referral: dict[str, Any], verb: str, caller: str, body: dict[str, Any] | None = None,
                  status: int = 200) -> dict[str, Any]:
    """Take a step of a referral as `caller`, naming the version last seen; returns the referral after it."""
    response = client.post(f"{REFERRALS}/{referral['id']}/{verb}", json=body or {},
                           headers=as_(caller, If_Match=f'"{referral["version"]}"'))
    return created(response, status)


def submitted_referral(client: Any, case: Case, *, office: str = OFFICE, charge_ids: list[str] | None = None,
                       ) -> dict[str, Any]:
    """HSI refers the case to `office`: drafted by its agent, approved by its supervisor, submitted."""
    drafted = created(client.post(f"{case.url}/referrals", headers=as_("hsi_agent"),
                                  json={"office": office, "charge_ids": charge_ids or [], "memo": "Ready to charge"}))
    approved = referral_step(client, drafted, "approve", "hsi_supervisor", {"note": "approved"})
    submitted = referral_step(client, approved, "submit", "hsi_agent")
    case.version = created(client.get(case.url, headers=as_("hsi_agent")), 200)["version"]
    return submitted
