"""Whether a case is ready for prosecution: DOMAIN.md §3's checklist (after the Justice Manual 9-27 and IRS-CI
referral packages), judged on the facts the readiness read model keeps of a case.

Each item is `ok`, a `gap` (with what is missing and the records behind it) or `not_applicable` (not yet due, or
nothing of that kind in the case). The score is the share of applicable items that are ok.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OK, GAP, NOT_APPLICABLE = "ok", "gap", "not_applicable"
UNIDENTIFIED_ROLES = frozenset({"unknown", "victim"})  # a defendant's role in the network must be known

Facts = dict[str, Any]


def empty_facts(owning_agency: str, case_number: str) -> Facts:
    """What the read model knows of a case just opened."""
    return {"owning_agency": owning_agency, "case_number": case_number, "status": "opened", "subjects": {},
            "contributors": [], "evidence": {}, "charges": {}, "witnesses": {}, "reviews": {},
            "productions": {}, "referrals": {}, "forfeiture": {}, "offices": {}}


def checklist(facts: Facts) -> dict[str, Any]:
    """The checklist of a case, its score (0-100) and whether it is ready (no gaps)."""
    items = [_item(name, title, judge(facts)) for name, title, judge in _ITEMS]
    applicable = [i for i in items if i["status"] != NOT_APPLICABLE]
    gaps = sum(i["status"] == GAP for i in applicable)
    # Halves round up (round() would take 62.5 to 62 but 37.5 to 38).
    score = (200 * (len(applicable) - gaps) + len(applicable)) // (2 * len(applicable)) if applicable else 0
    return {"items": items, "score": score, "gaps": gaps, "ready": bool(applicable) and gaps == 0}


def _item(name: str, title: str, judged: tuple[str, str, list[dict[str, str]]]) -> dict[str, Any]:
    status, reason, records = judged
    return {"item": name, "title": title, "status": status, "reason": reason, "records": records}


def _record(kind: str, record_id: str, agency: str) -> dict[str, str]:
    return {"type": kind, "id": record_id, "agency": agency}


def _charges(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    charges, owner = facts["charges"], facts["owning_agency"]
    if not charges:
        return GAP, "no charge is proposed", []
    open_elements = [(cid, i) for cid, c in charges.items() for i, ok in enumerate(c["elements"]) if not ok]
    if open_elements:
        return GAP, f"{len(open_elements)} element(s) of {len({c for c, _ in open_elements})} charge(s) lack " \
                    "evidence or testimony", [_record("charge", cid, owner) for cid in dict.fromkeys(
                        c for c, _ in open_elements)]
    return OK, f"every element of {len(charges)} charge(s) is supported", []


def _defendants(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    charges, subjects, owner = facts["charges"], facts["subjects"], facts["owning_agency"]
    if not charges:
        return GAP, "no charge names a defendant", []
    unnamed = [cid for cid, c in charges.items() if not c["defendants"]]
    if unnamed:
        return GAP, f"{len(unnamed)} charge(s) name no defendant", [_record("charge", c, owner) for c in unnamed]
    defendants = dict.fromkeys(s for c in charges.values() for s in c["defendants"])
    unknown = [s for s in defendants if subjects.get(s, {}).get("role", "unknown") in UNIDENTIFIED_ROLES]
    if unknown:
        return GAP, f"{len(unknown)} defendant(s) have no known role in the network", [
            _record("subject", s, subjects.get(s, {}).get("agency", owner)) for s in unknown]
    return OK, f"{len(defendants)} defendant(s) identified with their roles", []


def _witnesses(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    witnesses = facts["witnesses"]
    if not witnesses:
        return GAP, "no witness is listed with anticipated testimony", []
    impeachable = sum(w["impeachable"] for w in witnesses.values())
    return OK, f"{len(witnesses)} witness(es) with anticipated testimony; {impeachable} with Giglio material, " \
               "promises or immunity on record", []


def _custody(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    evidence = facts["evidence"]
    if not evidence:
        return GAP, "no evidence is logged", []
    broken = [eid for eid, e in evidence.items() if e["discrepancies"]]
    pending = [eid for eid, e in evidence.items() if e["lab_pending"]]
    if broken or pending:
        reasons = [f"{len(broken)} item(s) with custody discrepancies"] if broken else []
        reasons += [f"{len(pending)} item(s) awaiting lab results"] if pending else []
        return GAP, "; ".join(reasons), [_record("evidence", e, evidence[e]["agency"])
                                          for e in dict.fromkeys(broken + pending)]
    return OK, f"{len(evidence)} item(s) with unbroken chains of custody and lab results back", []


def _disclosure(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    # Every agency whose people or files are in the case: the owner, every agency that ever could add to it, and
    # the agencies of its evidence, its subjects and its law-enforcement witnesses (their personnel files too).
    agencies = [facts["owning_agency"], *sorted(set(facts["contributors"]) - {facts["owning_agency"]})]
    reviews = facts["reviews"]
    missing = {kind: [a for a in agencies if a not in reviews.get(kind, [])] for kind in ("jencks", "brady_giglio")}
    problems = [f"{what} for {len(missing[kind])} of {len(agencies)} agencies" for kind, what in (
        ("jencks", "statements and agent notes (Jencks) not collected"),
        ("brady_giglio", "Brady/Giglio review not done")) if missing[kind]]
    if problems:
        # Agencies are named as records, so a partner never learns of another partner from the reason.
        return GAP, "; ".join(problems), [_record("agency", a, a) for a in dict.fromkeys(
            missing["jencks"] + missing["brady_giglio"])]
    return OK, f"Jencks material collected and Brady/Giglio review done for all {len(agencies)} agencies", []


def _discovery(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    productions, owner = facts["productions"], facts["owning_agency"]
    if not any(r["status"] == "accepted" for r in facts["referrals"].values()):
        return NOT_APPLICABLE, "discovery is due once a referral is accepted", []
    if not productions:
        return GAP, "no discovery production is logged", []
    reused = [pid for pid, p in productions.items() if p["overlapping"]]
    if reused:
        return GAP, f"{len(reused)} production(s) reuse Bates numbers already produced", [
            _record("production", p, owner) for p in reused]
    return OK, f"{len(productions)} production(s) logged", []


def _decisions(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    referrals = facts["referrals"]
    sent = {rid: r for rid, r in referrals.items() if r["status"] not in ("draft", "approved")}
    if not sent:
        return NOT_APPLICABLE, "no referral has been submitted", []
    # A referral is named as its office's record: another office, or a partner, does not learn of it.
    waiting = [rid for rid, r in sent.items() if r["status"] == "submitted"]
    if waiting:
        return GAP, "a referral awaits the office's decision", [
            _record("referral", r, sent[r]["office"]) for r in waiting]
    latest = max(sent, key=lambda rid: sent[rid]["seq"])
    if sent[latest]["status"] == "returned":
        return GAP, "the case was returned for more investigation", [
            _record("referral", latest, sent[latest]["office"])]
    decided = {c for r in sent.values() for c in r.get("counts", {})}
    undecided = [c for c in facts["charges"] if c not in decided]
    if undecided:
        return GAP, f"{len(undecided)} proposed count(s) have no charging decision", [
            _record("charge", c, facts["owning_agency"]) for c in undecided]
    return OK, "every count proposed has its charging decision, each declination with its reason", []


def _forfeiture(facts: Facts) -> tuple[str, str, list[dict[str, str]]]:
    actions = facts["forfeiture"]
    if not actions:
        return NOT_APPLICABLE, "no forfeiture action was recorded", []
    undated = [op for op, f in actions.items() if f["without_deadline"]]
    if undated:
        return GAP, f"forfeiture actions of {len(undated)} operation(s) have no notice deadline", [
            _record("operation", op, actions[op]["agency"]) for op in undated]
    return OK, f"{sum(f['actions'] for f in actions.values())} forfeiture action(s), each with its deadline", []


_ITEMS: tuple[tuple[str, str, Callable[[Facts], tuple[str, str, list[dict[str, str]]]]], ...] = (
    ("charges", "each proposed charge lists its elements, each supported by evidence or testimony", _charges),
    ("defendants", "defendants identified, with their role in the network", _defendants),
    ("witnesses", "witnesses with anticipated testimony, Giglio flags, promises or immunity", _witnesses),
    ("custody", "evidence with an unbroken chain of custody and lab results back", _custody),
    ("disclosure", "Jencks statements collected; Brady/Giglio review across all partner agencies", _disclosure),
    ("discovery", "discovery produced and logged", _discovery),
    ("charging_decisions", "a charging decision per count, with the reason for any declination", _decisions),
    ("forfeiture", "forfeiture actions with their deadlines", _forfeiture),
)
ITEM_NAMES = tuple(name for name, _, _ in _ITEMS)
