"""The audit chain's canonical encoding (docs/AUDIT.md, Chain), written
independently of cairn's C++ for the tests that forge trails: rechain.py
and tests/pg/forge_event.py."""
import hashlib, hmac, struct


def tagged(tag, data):
    return tag + struct.pack(">Q", len(data)) + data


def value(v):
    if v is None:
        return b"n"
    if isinstance(v, int):
        return b"i" + struct.pack(">q", v)
    if isinstance(v, bytes):
        return tagged(b"b", v)
    return tagged(b"t", v.encode())


def canonical(domain, values):
    return tagged(b"t", domain) + b"".join(value(v) for v in values)


def text_digest(key, keyed, domain, text):
    msg = tagged(b"t", domain) + tagged(b"t", text.encode())
    return hmac.new(key, msg, hashlib.sha256).digest() if keyed else hashlib.sha256(msg).digest()


def read_audit_key(path):
    lines = open(path).read().split()
    assert lines[0] == "cairn-audit-mac-key-v1", "not an audit key file"
    return bytes.fromhex(lines[1])
