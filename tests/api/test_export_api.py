"""A case's export is checked by the verifier inside it, on a machine without Pathways (a bare interpreter here)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from coordination.signing import new_private_key_pem
from tests.api.support import as_, created, open_case, problem, write


@pytest.fixture
def env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "signing.pem"
    key.write_bytes(new_private_key_pem())
    return {**env, "PATHWAYS_SIGNING_KEY_FILE": str(key)}


def exported(client: Any, tmp_path: Path) -> tuple[Path, Any]:
    case = open_case(client)
    for summary in ("first meeting", "second meeting"):
        write(client, case, "POST", "/actions", {"kind": "interview", "summary": summary}, status=201)
    # A subject (its id) and a correction of an action's time: every encoding the store writes, in the bundle.
    write(client, case, "POST", "/subjects", {"kind": "person", "name": "Juan Perez", "role": "transporter",
                                              "identifiers": [{"type": "phone", "value": "+52 962 123 4567"}]},
          status=201)
    write(client, case, "POST", "/corrections", {"corrects": 2, "changes": {"occurred_at": "2026-01-05T10:00:00Z"},
                                                 "reason": "it happened in January"}, status=201,
          If_Match=f'"{case.version}"')
    response = client.get(f"{case.url}/export", headers=as_("hsi_agent"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(response.get_data())
    return bundle, case


def run_verifier(bundle: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """verify.py taken out of the bundle and run by an isolated interpreter (-I: no Pathways on its path)."""
    script = tmp_path / "verify.py"
    script.write_bytes(zipfile.ZipFile(bundle).read("verify.py"))
    done = subprocess.run([sys.executable, "-I", str(script), str(bundle)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    return done.returncode, json.loads(done.stdout)


def rewritten(bundle: Path, tmp_path: Path, change: Any, name: str = "events.jsonl") -> Path:
    """The bundle with one file (events.jsonl unless told) changed by `change` (lines -> lines)."""
    source = zipfile.ZipFile(bundle)
    out = tmp_path / "changed.zip"
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            if member == name:
                data = "".join(change(data.decode().splitlines(keepends=True))).encode()
            target.writestr(member, data)
    return out


def test_an_exported_case_verifies_without_pathways(client, tmp_path):
    bundle, case = exported(client, tmp_path)

    status, report = run_verifier(bundle, tmp_path)

    assert (status, report["valid"], report["signed"], report["events_checked"]) == (0, True, True, case.version)


def test_an_event_edited_in_the_bundle_is_named_by_the_verifier(client, tmp_path):
    bundle, _ = exported(client, tmp_path)
    edited = rewritten(bundle, tmp_path, lambda lines: [line.replace("second meeting", "no meeting") for line in lines])

    status, report = run_verifier(edited, tmp_path)

    assert (status, report["first_broken"]) == (1, {"version": 3, "problem": "its content does not match its digest"})


def test_the_last_event_left_out_of_the_bundle_is_caught_by_the_signed_checkpoint(client, tmp_path):
    bundle, _ = exported(client, tmp_path)

    status, report = run_verifier(rewritten(bundle, tmp_path, lambda lines: lines[:-1]), tmp_path)

    assert status == 1 and report["first_broken"]["problem"] == "the events are not the ones the checkpoint signed"


def test_a_partner_may_not_export_the_case(client, tmp_path):
    case = open_case(client)
    write(client, case, "POST", "/shares", {"agency": "DEA", "access": "read"}, status=200)

    problem(client.get(f"{case.url}/export", headers=as_("dea_agent")), 403)


def test_the_bundle_holds_the_events_the_signed_checkpoint_the_manifest_and_the_verifier(client, tmp_path):
    case = open_case(client)
    response = client.get(f"{case.url}/export", headers=as_("hsi_agent"))

    assert zipfile.ZipFile(io.BytesIO(response.get_data())).namelist() == [
        "events.jsonl", "checkpoint.json", "manifest.json", "verify.py"]


def exported_with_records(client: Any, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A case with an evidence item handed over once and a proposed charge, exported."""
    case = open_case(client)
    item = created(client.post(f"{case.url}/evidence", headers=as_("hsi_agent"), json={
        "description": "Ledger", "kind": "document", "seized_at": "2026-11-02T06:15:00Z", "custodian": "SA M",
        "location": "Vault"}))
    created(client.post(f"/api/v1/evidence/{item['id']}/transfers", headers=as_("hsi_agent"), json={
        "from": "SA M", "to": "Lab", "at": "2026-11-03T09:00:00Z", "purpose": "lab", "seal_intact": True}))
    created(client.post(f"{case.url}/charges", headers=as_("hsi_agent"), json={"statute": "8 U.S.C. 1324"}))
    bundle = tmp_path / "records.zip"
    bundle.write_bytes(client.get(f"{case.url}/export", headers=as_("hsi_agent")).get_data())
    return bundle, item


def test_an_export_carries_and_verifies_every_record_the_case_names(client, tmp_path):
    bundle, item = exported_with_records(client, tmp_path)

    status, report = run_verifier(bundle, tmp_path)

    names = zipfile.ZipFile(bundle).namelist()
    assert (status, report["records_checked"], f"records/evidence/{item['id'].replace('-', '')}.jsonl" in names) == (
        0, 2, True)


def test_an_edited_custody_transfer_in_the_bundle_is_named_by_the_verifier(client, tmp_path):
    bundle, item = exported_with_records(client, tmp_path)
    edited = rewritten(bundle, tmp_path, lambda lines: [line.replace('"Lab"', '"Someone else"') for line in lines],
                       name=f"records/evidence/{item['id'].replace('-', '')}.jsonl")

    status, report = run_verifier(edited, tmp_path)

    assert (status, report["first_broken"]["record_id"], report["first_broken"]["version"]) == (1, item["id"], 2)


def test_a_record_removed_from_the_bundle_is_named_by_the_verifier(client, tmp_path):
    bundle, item = exported_with_records(client, tmp_path)
    removed = without(bundle, tmp_path, f"records/evidence/{item['id'].replace('-', '')}.jsonl")

    status, report = run_verifier(removed, tmp_path)

    assert (status, report["first_broken"]["problem"]) == (1, "a record the case names is missing from the bundle")


def without(bundle: Path, tmp_path: Path, name: str) -> Path:
    source, out = zipfile.ZipFile(bundle), tmp_path / "cut.zip"
    with zipfile.ZipFile(out, "w") as target:
        for kept in source.namelist():
            if kept != name:
                target.writestr(kept, source.read(kept))
    return out


def test_a_record_the_signed_checkpoint_does_not_cover_is_named_by_the_verifier(client, tmp_path):
    bundle, item = exported_with_records(client, tmp_path)

    def uncovered(lines: list[str]) -> list[str]:
        checkpoint = json.loads("".join(lines))
        checkpoint["payload"]["records"] = []
        return [json.dumps(checkpoint)]

    status, report = run_verifier(rewritten(bundle, tmp_path, uncovered, name="checkpoint.json"), tmp_path)

    assert (status, report["first_broken"]["record_id"], report["first_broken"]["problem"]) == (
        1, item["id"], "the checkpoint does not cover it")
