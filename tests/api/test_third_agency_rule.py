"""The third agency rule: a partner sees the owner's entries and its own, never another partner's."""

from __future__ import annotations

from tests.api.support import as_, shared_case


def test_a_read_partner_does_not_see_another_partners_action_in_the_timeline(client):
    case = shared_case(client)  # CBP contributed an action; DEA may only read
    timeline = client.get(f"{case.url}/timeline", headers=as_("dea_agent")).get_json()
    assert {e["actor"]["agency"] for e in timeline["items"]} == {"HSI"}


def test_the_contributing_partner_sees_its_own_action_in_the_timeline(client):
    case = shared_case(client)
    timeline = client.get(f"{case.url}/timeline", headers=as_("cbp_agent")).get_json()
    assert [e["type"] for e in timeline["items"] if e["actor"]["agency"] == "CBP"] == ["action_logged"]


def test_the_owner_sees_every_partners_contribution(client):
    case = shared_case(client)
    timeline = client.get(f"{case.url}/timeline", headers=as_("hsi_agent")).get_json()
    assert {e["actor"]["agency"] for e in timeline["items"]} == {"HSI", "CBP"}


def test_a_read_partner_does_not_see_a_subject_another_partner_added(client):
    case = shared_case(client)
    client.post(f"{case.url}/subjects", json={"kind": "person", "name": "Juan Perez", "role": "transporter"},
                headers=as_("cbp_agent"))
    subjects = client.get(f"{case.url}/subjects", headers=as_("dea_agent")).get_json()
    assert subjects["items"] == []


def test_the_owner_sees_a_subject_a_partner_added(client):
    case = shared_case(client)
    client.post(f"{case.url}/subjects", json={"kind": "person", "name": "Juan Perez", "role": "transporter"},
                headers=as_("cbp_agent"))
    subjects = client.get(f"{case.url}/subjects", headers=as_("hsi_agent")).get_json()
    assert [s["name"] for s in subjects["items"]] == ["Juan Perez"]


def test_a_read_partner_does_not_see_the_owner_correcting_another_partners_entry(client):
    case = shared_case(client)  # CBP (contribute) logged an action at version 4
    client.post(f"{case.url}/corrections", headers=as_("hsi_supervisor", If_Match="*"),
                json={"corrects": 4, "changes": {"summary": "Border crossing at Nuevo Laredo"}, "reason": "place"})
    timeline = client.get(f"{case.url}/timeline", headers=as_("dea_agent")).get_json()
    assert [e["type"] for e in timeline["items"] if e["type"] == "entry_corrected"] == []


def test_the_partner_whose_entry_was_corrected_sees_the_correction(client):
    case = shared_case(client)
    client.post(f"{case.url}/corrections", headers=as_("hsi_supervisor", If_Match="*"),
                json={"corrects": 4, "changes": {"summary": "Border crossing at Nuevo Laredo"}, "reason": "place"})
    timeline = client.get(f"{case.url}/timeline", headers=as_("cbp_agent")).get_json()
    assert [e["data"]["changes"] for e in timeline["items"] if e["type"] == "entry_corrected"] == [
        {"summary": "Border crossing at Nuevo Laredo"}]
