"""Checks a Pathways case export without Pathways: python3 verify.py BUNDLE.zip [--public-key KEY.pem]

Needs only Python 3.9+ and the `cryptography` package. It checks, and prints as JSON:
1. every event's digest: SHA-256 over its canonical JSON (sorted keys, no spaces; ids, times and decimals as
   text) with @topic, @id and @version;
2. the chain: each event names the digest of the one before (the first names 64 zeros), versions 1, 2, 3...;
3. each record the case's chain names (its evidence, its file, its referrals, in records/): the same checks, and
   that none the case names is missing;
4. the export's checkpoint: signed (Ed25519) by the deployment's key over the case and each of its records: last
   version, head digest and the SHA-256 of its file. Give the public key you received from the
   deployment by another channel (--public-key); the one in the bundle is only used when you give none, and then
   proves only that the bundle is consistent, not where it came from.
Exit status: 0 valid and signed; 1 broken; 3 the chain is intact but the bundle is unsigned.
"""

import base64
import hashlib
import json
import sys
import zipfile

GENESIS = "0" * 64
EXCLUDED = {"digest", "class_version"}
ATTACHED = "domain.investigation:Investigation.RecordAttached"


def canonical(content):
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def plain(value):
    """The state as its digest reads it: the store writes ids, times and decimals as {"_type_", "_data_"}."""
    if isinstance(value, dict):
        kind = value.get("_type_")
        if kind in ("datetime_iso", "decimal_str") and set(value) == {"_type_", "_data_"}:
            return value["_data_"]
        if kind == "uuid_hex" and set(value) == {"_type_", "_data_"}:
            h = value["_data_"]
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def digest_of(event):
    content = {k: plain(v) for k, v in event["state"].items() if k not in EXCLUDED}
    content["@topic"] = event["topic"]
    content["@id"] = event["originator_id"]
    content["@version"] = event["version"]
    return hashlib.sha256(canonical(content)).hexdigest()


def check_chain(lines):
    """(events checked, head digest, first problem or None)."""
    previous, expected = GENESIS, 1
    for count, line in enumerate(lines):
        event = json.loads(line)
        version = event["version"]
        if version != expected:
            return count, previous, {"version": expected, "problem": f"event {expected} is missing"}
        if event["state"].get("prev_digest") != previous:
            return count, previous, {"version": version, "problem": "does not link to the event before it"}
        if event["state"].get("digest") != digest_of(event):
            return count, previous, {"version": version, "problem": "its content does not match its digest"}
        previous, expected = event["state"]["digest"], version + 1
    return expected - 1, previous, None


def check_signature(checkpoint, public_pem):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(public_pem)
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), canonical(checkpoint["payload"]))
    except (InvalidSignature, ValueError):
        return False
    return True


def lines_of(raw):
    return [line for line in raw.decode().split("\n") if line]


def named_records(lines):
    """The records the case's chain says were added to it: {record id: type}."""
    named = {}
    for line in lines:
        event = json.loads(line)
        if event["topic"] == ATTACHED:
            named[plain(event["state"]["record_id"])] = event["state"]["record_type"]
    return named


def check_record(bundle, entry, signed):
    """A record of the case: its chain, and the head the checkpoint signed for it (None: the bundle is unsigned,
    {}: signed, but not this record)."""
    try:
        raw = bundle.read(entry["file"])
    except KeyError:
        return {"record_id": entry["record_id"], "problem": "a record the case names is missing from the bundle"}
    events, head, broken = check_chain(lines_of(raw))
    if broken is not None:
        return {"record_id": entry["record_id"], **broken}
    if signed == {}:
        return {"record_id": entry["record_id"], "version": None, "problem": "the checkpoint does not cover it"}
    if signed is not None and signed != {"record_id": entry["record_id"], "version": events, "head": head,
                                         "events_sha256": hashlib.sha256(raw).hexdigest()}:
        return {"record_id": entry["record_id"], "problem": "its events are not the ones the checkpoint signed"}
    return None


def verify(bundle_path, public_pem=None):
    with zipfile.ZipFile(bundle_path) as bundle:
        raw_events = bundle.read("events.jsonl")
        checkpoint = json.loads(bundle.read("checkpoint.json"))
        manifest = json.loads(bundle.read("manifest.json"))
        lines = lines_of(raw_events)
        events, head, broken = check_chain(lines)
        payload = checkpoint.get("payload")
        signed = {r["record_id"]: r for r in (payload or {}).get("records", [])}
        entries = {r["record_id"]: r for r in manifest.get("records", [])}
        named = named_records(lines)
        for record_id, kind in named.items():
            entry = entries.get(record_id, {"record_id": record_id, "file": f"records/{kind}/{record_id}.jsonl"})
            problem = None if broken else check_record(bundle, entry, signed.get(record_id, {}) if payload else None)
            if problem is not None:
                broken = {"version": None, **problem}
    report = {"record_id": manifest["record_id"], "events_checked": events, "records_checked": len(named),
              "head": head, "first_broken": broken, "signed": False, "signature_valid": None, "key_id": None}
    if payload is not None:
        pem = public_pem or manifest["public_key"].encode()
        report.update(signed=True, key_id=payload.get("key_id"), signature_valid=check_signature(checkpoint, pem))
        matches = (payload["record_id"] == manifest["record_id"] and payload["version"] == events
                   and payload["head"] == head and payload["events_sha256"] == hashlib.sha256(raw_events).hexdigest())
        if broken is None and not matches:
            report["first_broken"] = {"version": payload["version"],
                                      "problem": "the events are not the ones the checkpoint signed"}
    report["valid"] = report["first_broken"] is None and report["signature_valid"] is not False
    return report


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--public-key"):
        print(__doc__, file=sys.stderr)
        return 2
    public_pem = open(argv[3], "rb").read() if len(argv) == 4 else None
    report = verify(argv[1], public_pem)
    print(json.dumps(report, indent=2))
    if not report["valid"]:
        return 1
    return 0 if report["signed"] else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
