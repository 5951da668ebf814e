#!/usr/bin/env python3
"""The strongest attacker on one machine: someone who can read audit.key
and write catalog.db. Applies SQL statements to an instance's catalog, then
recomputes every redactable-text digest and every chain value, so the
edited trail verifies on its own. An independent implementation of
docs/AUDIT.md (Chain), used by tests to show what only anchors outside the
instance can catch.

  rechain.py INSTANCE_DIR [--reseal UID]... [SQL]...

--reseal UID also recomputes artifact UID's seal in the event that sealed
it and its wrap MAC (docs/AUDIT.md, Sealed artifact rows) from its row as
the SQL left it.
"""
import hashlib, hmac, os, sqlite3, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_codec import canonical, read_audit_key, tagged, text_digest, value  # noqa: E402

DOMAIN = b"cairn.audit.event.v2"
CMD_DOMAIN = b"cairn.audit.command_line.v1"
DETAILS_DOMAIN = b"cairn.audit.details.v1"


def reseal(db, key, uid):
    (uid, akey, version, kind, h, size, n_files, obj, stored, created, key_id, wrapped) = db.execute(
        "SELECT uid, key, version, kind, hash, size, n_files, object_name, stored_size, created_at, key_id,"
        " wrapped_key FROM artifact WHERE uid = ?", (uid,)).fetchone()
    seal = hashlib.sha256(canonical(b"cairn.artifact.seal.v1",
                                    (uid, akey, version, kind, h, size, n_files, obj, stored, created))).digest()
    wrap_domain = b"cairn.artifact.wrap.v1"
    wrap_mac = hmac.new(key, tagged(b"t", wrap_domain) + tagged(b"t", canonical(wrap_domain, (uid, key_id, wrapped))),
                        hashlib.sha256).digest()
    db.execute("UPDATE artifact SET wrap_mac = ? WHERE uid = ?", (wrap_mac, uid))
    db.execute("UPDATE audit_event SET seal = ? WHERE seal IS NOT NULL AND json_extract(targets, '$[0]') = ?",
               (seal, uid))


def main():
    inst, args = sys.argv[1], sys.argv[2:]
    reseals = [args[i + 1] for i, a in enumerate(args) if a == "--reseal"]
    statements = [a for i, a in enumerate(args) if a != "--reseal" and (i == 0 or args[i - 1] != "--reseal")]
    cairn = os.path.join(inst, ".cairn")
    key = read_audit_key(os.path.join(cairn, "audit.key"))
    db = sqlite3.connect(os.path.join(cairn, "catalog.db"))
    for s in statements:
        db.execute(s)
    for uid in reseals:
        reseal(db, key, uid)
    row = db.execute("SELECT value FROM instance_info WHERE name = 'audit_keyed_digests_from'").fetchone()
    keyed_from = int(row[0]) if row else 2**63 - 1
    anchor = db.execute("SELECT chain FROM audit_anchor ORDER BY seq DESC LIMIT 1").fetchone()
    prev = anchor[0] if anchor else bytes(32)
    rows = db.execute(
        "SELECT seq, time_ms, actor, os_user, os_uid, host, pid, command_line, action, targets, result,"
        " error_code, details, command_line_digest, details_digest, credential, seal FROM audit_event ORDER BY seq"
    ).fetchall()
    for (seq, time_ms, actor, os_user, os_uid, host, pid, cmd, action, targets, result, error_code, details,
         cmd_digest, details_digest, credential, seal) in rows:
        keyed = seq >= keyed_from
        if cmd is not None:
            cmd_digest = text_digest(key, keyed, CMD_DOMAIN, cmd)
        if details is not None:
            details_digest = text_digest(key, keyed, DETAILS_DOMAIN, details)
        canonical = tagged(b"t", DOMAIN) + b"".join(value(v) for v in (
            seq, time_ms, actor, os_user, os_uid, host, pid, cmd_digest, action, targets, result, error_code,
            details_digest))
        if keyed:
            canonical += value(credential)
        if seal is not None:
            canonical += value(seal)
        chain = hmac.new(key, canonical + tagged(b"b", prev), hashlib.sha256).digest()
        db.execute("UPDATE audit_event SET chain = ?, command_line_digest = ?, details_digest = ? WHERE seq = ?",
                   (chain, cmd_digest, details_digest, seq))
        prev = chain
    db.commit()


main()
