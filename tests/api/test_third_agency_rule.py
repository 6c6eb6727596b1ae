"""The third agency rule: a partner sees the owner's entries and its own, never another partner's."""

from __future__ import annotations

from tests.api.support import as_, open_case, share, shared_case, write


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


def _merged(client, *, target_shared_with_dea: bool):
    source, target = open_case(client, "hsi_supervisor"), open_case(client, "hsi_supervisor")
    share(client, source, "DEA", "read", "hsi_supervisor")
    if target_shared_with_dea:
        share(client, target, "DEA", "read", "hsi_supervisor")
    write(client, source, "POST", "/status", {"status": "merged", "reason": "same cell", "merged_into": target.id},
          "hsi_supervisor", status=200, If_Match=f'"{source.version}"')
    return source, target


def _merge_pointer(client, case, caller: str):
    items = client.get(f"{case.url}/timeline", headers=as_(caller)).get_json()["items"]
    return [e["data"]["merged_into"] for e in items if e["type"] == "status_changed"]


def test_a_partner_that_cannot_see_the_case_merged_into_does_not_learn_its_id(client):
    source, _ = _merged(client, target_shared_with_dea=False)
    assert _merge_pointer(client, source, "dea_agent") == [None]


def test_a_partner_that_can_see_the_case_merged_into_is_shown_its_id(client):
    source, target = _merged(client, target_shared_with_dea=True)
    assert _merge_pointer(client, source, "dea_agent") == [target.id]


def test_the_owner_sees_the_id_of_the_case_merged_into(client):
    source, target = _merged(client, target_shared_with_dea=False)
    assert _merge_pointer(client, source, "hsi_supervisor") == [target.id]
