#!/usr/bin/env python3
"""A member forging an audit event on a shared PostgreSQL catalog, as a
modified cairn could: it holds the audit key (every member's grant carries
it) and its own Ed25519 signing key, and appends one event after the last,
chained correctly (an independent implementation of docs/AUDIT.md, Chain
and Member signatures), naming any credential it likes.

  forge_event.py AUDIT_KEY_FILE SIGNING_KEY_PEM CREDENTIAL PSQL_ARGS...

PSQL_ARGS connect psql to the catalog as the member's own login.
"""
import hashlib, hmac, os, subprocess, sys, time

from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from audit_codec import canonical, read_audit_key, tagged, text_digest  # noqa: E402


def main():
    key_file, signing_pem, credential, psql = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

    def query(sql):
        return subprocess.run(["psql", *psql, "-qtAc", sql], check=True, capture_output=True, text=True).stdout.strip()

    key = read_audit_key(key_file)
    signer_key = serialization.load_pem_private_key(open(signing_pem, "rb").read(), password=None)
    raw_public = signer_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    last_seq, last_chain = query("SELECT seq, encode(chain, 'hex') FROM audit_event ORDER BY seq DESC LIMIT 1").split("|")
    instance_id = query("SELECT value FROM instance_info WHERE name = 'instance_id'")
    keyed_from = int(query("SELECT value FROM instance_info WHERE name = 'audit_keyed_digests_from'"))
    seq = int(last_seq) + 1
    assert seq >= keyed_from
    event = dict(time_ms=int(time.time() * 1000), actor="ann", os_user="ann", os_uid=1000, host="elsewhere", pid=4242,
                 command_line="cairn load ann/a", action="load", targets="[]", result="ok", details="{}")

    cmd_digest = text_digest(key, True, b"cairn.audit.command_line.v1", event["command_line"])
    details_digest = text_digest(key, True, b"cairn.audit.details.v1", event["details"])
    body = canonical(b"cairn.audit.event.v2", (
        seq, event["time_ms"], event["actor"], event["os_user"], event["os_uid"], event["host"], event["pid"],
        cmd_digest, event["action"], event["targets"], event["result"], None, details_digest, credential))
    chain = hmac.new(key, body + tagged(b"b", bytes.fromhex(last_chain)), hashlib.sha256).digest()
    signature = signer_key.sign(canonical(b"cairn.audit.event-signature.v1", (instance_id, seq, chain)))
    signer = "SHA256:" + hashlib.sha256(raw_public).hexdigest()

    def lit(v):
        return "'" + v.replace("'", "''") + "'"

    query("INSERT INTO audit_event (seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, targets,"
          " result, error_code, details, chain, command_line_digest, details_digest, credential, signer, signature)"
          f" VALUES ({seq}, {event['time_ms']}, {lit(event['actor'])}, {lit(event['os_user'])}, {event['os_uid']},"
          f" {lit(event['host'])}, {event['pid']}, {lit(event['command_line'])}, {lit(event['action'])},"
          f" {lit(event['targets'])}, {lit(event['result'])}, NULL, {lit(event['details'])},"
          f" decode('{chain.hex()}', 'hex'), decode('{cmd_digest.hex()}', 'hex'), decode('{details_digest.hex()}', 'hex'),"
          f" {lit(credential)}, {lit(signer)}, decode('{signature.hex()}', 'hex'))")
    print(seq)


main()
