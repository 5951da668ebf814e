"""Puts an artifact's wrapped data key back into its row, with the wrap MAC
a cairn without key objects (schema 7) would have stamped, as such a cairn
saved it on PostgreSQL: FORMAT.md section 3 and docs/AUDIT.md's encoding,
through the independent tests/cli/audit_codec.py. Prints the SQL to run.

usage: key_into_row.py AUDIT_KEY_FILE UID KEY_ID KEY_OBJECT_FILE"""
import hashlib
import hmac
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from audit_codec import canonical, read_audit_key, tagged  # noqa: E402

audit_key_file, uid, key_id, key_object = sys.argv[1:5]
blob = open(key_object, "rb").read()
domain = b"cairn.artifact.wrap.v1"
mac = hmac.new(read_audit_key(audit_key_file),
               tagged(b"t", domain) + tagged(b"t", canonical(domain, [uid, key_id, blob])),
               hashlib.sha256).digest()
print(f"UPDATE artifact SET wrapped_key = '\\x{blob.hex()}'::bytea, wrap_mac = '\\x{mac.hex()}'::bytea WHERE uid = '{uid}'")
