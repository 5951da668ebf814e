#!/usr/bin/env python3
"""An independent reader of cairn instances, written from docs/FORMAT.md alone.

It shares no code with cairn: it opens a key file (section 2) or a member's
private key (section 3), unwraps an artifact's data key (section 3), decrypts
its object from directory storage (section 1), checks the content hash (a
plain SHA-256, or the tree hash and its leaf table) and, for a folder,
unpacks the folder stream (section 4). tests/cli/test_reader.sh
compares what it writes with `cairn load`. If this reader needs anything the
document does not say, the document is incomplete.

    reader.py --instance DIR (--key-file F [--passphrase-file P] | --identity PEM)
              --key KEY [--version N] -o OUT
"""
import argparse
import hashlib
import hmac
import os
import sqlite3
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt


class FormatError(Exception):
    pass


# --- Section 2: key files ---------------------------------------------------

def key_id_of(instance_key):
    return hashlib.sha256(b"cairn-key-id-v1\x00" + instance_key).hexdigest()[:16]


def read_key_file(path, passphrase_file):
    fields = {}
    lines = [l for l in open(path, encoding="utf-8").read().split("\n")
             if l.strip() and not l.startswith("#")]
    if not lines or lines[0] != "cairn-key-file: 1":
        raise FormatError("not a cairn key file, version 1")
    for line in lines[1:]:
        name, _, value = line.partition(": ")
        if name in fields:
            raise FormatError(f"field {name} repeated")
        fields[name] = value
    if fields.get("kind") != "full":
        raise FormatError("only a full key file can read artifacts")
    if fields["protection"] == "none":
        key = bytes.fromhex(fields["instance-key"])
    elif fields["protection"] == "scrypt":
        key = open_scrypt(fields, passphrase_file)
    else:
        raise FormatError("unknown protection " + fields["protection"])
    if key_id_of(key) != fields["key-id"]:
        raise FormatError("key id does not match the key")
    return key


def read_passphrase(path):
    data = open(path, "rb").read()
    if data.endswith(b"\n"):
        data = data[:-1]
    if data.endswith(b"\r"):
        data = data[:-1]
    return data


def open_scrypt(fields, passphrase_file):
    log2n, r, p = (int(fields[k]) for k in ("scrypt-log2-n", "scrypt-r", "scrypt-p"))
    if not (15 <= log2n <= 20 and 8 <= r <= 32 and 1 <= p <= 16
            and 128 * r * (1 << log2n) <= 1 << 30 and r * (1 << log2n) * p <= 1 << 23):
        raise FormatError("scrypt parameters out of bounds")
    kek = Scrypt(salt=bytes.fromhex(fields["scrypt-salt"]), length=32, n=1 << log2n,
                 r=r, p=p).derive(read_passphrase(passphrase_file))
    sealed = bytes.fromhex(fields["sealed-instance-key"])
    aad = b"cairn-key-file-v1 scrypt " + fields["key-id"].encode()
    return AESGCM(kek).decrypt(sealed[:12], sealed[12:], aad)


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def instance_x25519_private(instance_key):
    return x25519.X25519PrivateKey.from_private_bytes(
        hkdf(instance_key, None, b"cairn-instance-x25519-v1"))


# --- Section 3: wrapped keys ------------------------------------------------

def x25519_open(private, info, aad, body):
    if len(body) != 32 + 32 + 16:
        raise FormatError("X25519 seal of the wrong length")
    ephemeral = body[:32]
    shared = private.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral))
    if shared == bytes(32):
        raise FormatError("all-zero X25519 result")
    recipient = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    k = hkdf(shared, ephemeral + recipient, info)
    return AESGCM(k).decrypt(bytes(12), body[32:], aad)


def split_blob(blob, key_id):
    prefix, body = blob[:9], blob[9:]
    if prefix[1:].hex() != key_id:
        raise FormatError(f"blob wrapped under key {prefix[1:].hex()}, not {key_id}")
    return prefix[0], b"cairn-wrap-v1" + prefix, body


def unwrap_data_key(blob, instance_key):
    kind, aad, body = split_blob(blob, key_id_of(instance_key))
    if kind == 1:
        return AESGCM(instance_key).decrypt(body[:12], body[12:], aad)
    if kind == 2:
        return x25519_open(instance_x25519_private(instance_key),
                           b"cairn-wrap-v1 x25519", aad, body)
    raise FormatError(f"type {kind} does not wrap a data key")


def fingerprint(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def instance_key_from_identity(db, pem_path):
    private = serialization.load_pem_private_key(open(pem_path, "rb").read(), password=None)
    row = db.execute("SELECT wrapped_instance_key, key_id FROM member "
                     "WHERE fingerprint = ? AND revoked_at IS NULL",
                     (fingerprint(private.public_key()),)).fetchone()
    if row is None or row[0] is None:
        raise FormatError("no grant for this identity")
    kind, aad, body = split_blob(bytes(row[0]), row[1])
    if kind == 3 and isinstance(private, rsa.RSAPrivateKey):
        key = private.decrypt(body, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                 algorithm=hashes.SHA256(), label=aad))
    elif kind == 4 and isinstance(private, x25519.X25519PrivateKey):
        key = x25519_open(private, b"cairn-member-v1 x25519", aad, body)
    else:
        raise FormatError(f"grant of type {kind} does not match the identity")
    if key_id_of(key) != row[1]:
        raise FormatError("unwrapped grant has the wrong key id")
    return key


# --- Section 1: encrypted objects ------------------------------------------

def decrypt_object(path, data_key, expected_uid):
    """Yields the plaintext, one authenticated segment at a time."""
    with open(path, "rb") as f:
        fixed = f.read(15)
        if len(fixed) != 15 or fixed[:8] != b"CAIRNENC" or fixed[8] != 1 or fixed[9] != 1:
            raise FormatError("not a version 1 AES-256-GCM STREAM object")
        (segment,) = struct.unpack(">I", fixed[10:14])
        if not 65536 <= segment <= 1048576:
            raise FormatError("segment size out of range")
        uid = f.read(fixed[14])
        key_id_len = f.read(1)
        key_id = f.read(key_id_len[0])  # informational after a rotation
        prefix = f.read(7)
        if len(prefix) != 7:
            raise FormatError("header ends early")
        if uid.decode() != expected_uid:
            raise FormatError("object belongs to another artifact")
        header = fixed + uid + key_id_len + key_id + prefix
        aead, index = AESGCM(data_key), 0
        while True:
            chunk = f.read(segment + 16)
            if len(chunk) < 16:
                raise FormatError("final segment missing")
            last = len(chunk) < segment + 16
            nonce = prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")
            yield aead.decrypt(nonce, chunk, header)
            if last:
                return
            index += 1


# --- Section 4: artifacts and folder streams --------------------------------

LEAF = 1 << 20
TREE_PREFIX = "tree1:"


def tree_root(leaf_digests):
    """RFC 6962 MTH over the leaf digests: split at the largest power of two below n."""
    n = len(leaf_digests)
    if n == 1:
        return leaf_digests[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + tree_root(leaf_digests[:k]) + tree_root(leaf_digests[k:])).digest()


def tree_hash_text(content):
    """The tree hash of `content`, and its leaf digests."""
    leaves = [hashlib.sha256(b"\x00" + content[i:i + LEAF]).digest()
              for i in range(0, max(len(content), 1), LEAF)]
    root = tree_root(leaves)
    final = hashlib.sha256(b"\x02" + struct.pack(">QI", len(content), LEAF) + root).hexdigest()
    return TREE_PREFIX + final, leaves


def check_content(plaintext, content_hash, size):
    """Returns the content of an object's plaintext once its hash matches."""
    if not content_hash.startswith(TREE_PREFIX):
        if len(plaintext) != size or not hmac.compare_digest(hashlib.sha256(plaintext).hexdigest(), content_hash):
            raise FormatError("content hash or size mismatch")
        return plaintext
    content, table = plaintext[:size], plaintext[size:]
    text, leaves = tree_hash_text(content)
    if len(content) != size or table != b"".join(leaves):
        raise FormatError("leaf table does not match the content")
    if not hmac.compare_digest(text, content_hash):
        raise FormatError("content tree hash mismatch")
    return content


def find_artifact(db, key, version):
    sql = ("SELECT a.uid, a.kind, a.hash, a.size, a.object_name, a.wrapped_key, s.url, a.key_id "
           "FROM artifact a JOIN storage s ON s.id = a.storage_id "
           "WHERE a.key = ? AND a.state = 'active' AND ")
    row = db.execute(sql + ("a.version = ?" if version else "a.is_latest = 1"),
                     (key, version) if version else (key,)).fetchone()
    if row is None:
        raise FormatError(f"no active artifact {key}")
    return row


def wrapped_data_key(column, url, object_name, key_id):
    """The row's blob, or for a key reference (type 10) its key object's,
    once its SHA-256 matches the reference (FORMAT.md section 3)."""
    if len(column) != 33 or column[0] != 0x10:
        return column
    with open(os.path.join(url, f"{object_name}.{key_id}.key"), "rb") as f:
        blob = f.read()
    if not hmac.compare_digest(hashlib.sha256(blob).digest(), column[1:]):
        raise FormatError("the key object does not match the row's key reference")
    return blob


def unpack_folder(stream, out):
    def take(n):
        data = stream.read(n)
        if len(data) != n:
            raise FormatError("folder stream ends early")
        return data
    if take(8) != b"CAIRNDIR" or struct.unpack(">I", take(4))[0] != 1:
        raise FormatError("not a version 1 folder stream")
    (count,) = struct.unpack(">Q", take(8))
    os.makedirs(out, mode=0o700)
    previous = None
    for _ in range(count):
        path = take(struct.unpack(">H", take(2))[0])
        parts = path.split(b"/")
        if (not path or b"\x00" in path or any(p in (b"", b".", b"..") for p in parts)
                or (previous is not None and path <= previous)):
            raise FormatError(f"unsafe or unordered path {path!r}")
        previous = path
        mode, size = struct.unpack(">IQ", take(12))
        target = os.path.join(out, os.fsdecode(path))
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with open(target, "wb", opener=lambda p, fl: os.open(p, fl, 0o600)) as f:
            f.write(take(size))
        os.chmod(target, 0o700 if mode & 0o100 else 0o600)
    if stream.read(1):
        raise FormatError("bytes after the last file")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", required=True, help="the .cairn directory")
    ap.add_argument("--catalog", default="catalog.db", help="the SQLite catalog's file name in it")
    ap.add_argument("--key-file")
    ap.add_argument("--passphrase-file")
    ap.add_argument("--identity")
    ap.add_argument("--key", required=True)
    ap.add_argument("--version", type=int)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()

    db = sqlite3.connect(f"file:{os.path.join(args.instance, args.catalog)}?mode=ro", uri=True)
    if args.identity:
        instance_key = instance_key_from_identity(db, args.identity)
    else:
        instance_key = read_key_file(args.key_file, args.passphrase_file)
    uid, kind, content_hash, size, object_name, wrapped, url, key_id = find_artifact(
        db, args.key, args.version)
    data_key = unwrap_data_key(wrapped_data_key(bytes(wrapped), url, object_name, key_id), instance_key)

    # Plaintext goes to a temporary file first: it is only trusted once the
    # whole stream authenticated and the content hash matched.
    # (This reader holds the whole plaintext in memory: it is a test tool.)
    temp = args.output + ".reader-tmp"
    plaintext = b"".join(decrypt_object(os.path.join(url, object_name), data_key, uid))
    content = check_content(plaintext, content_hash, size)
    with open(temp, "wb", opener=lambda p, fl: os.open(p, fl, 0o600)) as f:
        f.write(content)
    if kind == "file":
        os.rename(temp, args.output)
    else:
        with open(temp, "rb") as stream:
            unpack_folder(stream, args.output)
        os.unlink(temp)


if __name__ == "__main__":
    try:
        main()
    except (FormatError, ValueError, OSError) as e:
        sys.exit(f"reader: {e}")
    except Exception as e:  # cryptography's InvalidTag has no message
        sys.exit(f"reader: {type(e).__name__} {e}")
