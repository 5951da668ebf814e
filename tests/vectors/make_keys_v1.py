#!/usr/bin/env python3
"""Independent reference for cairn key files and wrapped keys, version 1
(docs/FORMAT.md). Written from the format description with the `cryptography`
package. Writes the files under tests/vectors/ that keyring_test.cpp loads and
prints the hex values quoted in docs/FORMAT.md. All "random" inputs are fixed.
"""
import hashlib
import os
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

HERE = os.path.dirname(os.path.abspath(__file__))
INSTANCE_KEY = bytes(range(0x00, 0x20))
DATA_KEY = bytes(range(0x40, 0x60))
PASSPHRASE = b"cairn test vector"


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def raw_public(private):
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_seal(recipient_pub, eph_bytes, info, aad, plaintext):
    eph = X25519PrivateKey.from_private_bytes(eph_bytes)
    eph_pub = raw_public(eph)
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient_pub))
    key = hkdf(shared, eph_pub + recipient_pub, info)
    return eph_pub + AESGCM(key).encrypt(bytes(12), plaintext, aad)


key_id = hashlib.sha256(b"cairn-key-id-v1\0" + INSTANCE_KEY).hexdigest()[:16]
x_priv = X25519PrivateKey.from_private_bytes(hkdf(INSTANCE_KEY, None, b"cairn-instance-x25519-v1"))
x_pub = raw_public(x_priv)

header = "# cairn key file: keep it secret (chmod 600). Format: docs/FORMAT.md\ncairn-key-file: 1\n"
plain = header + f"kind: full\nkey-id: {key_id}\nprotection: none\ninstance-key: {INSTANCE_KEY.hex()}\n"
write_only = header + f"kind: write-only\nkey-id: {key_id}\nx25519-public: {x_pub.hex()}\n"
salt = bytes(range(0xC0, 0xD0))
kek = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(PASSPHRASE)
nonce = bytes(range(0xD0, 0xDC))
sealed = nonce + AESGCM(kek).encrypt(nonce, INSTANCE_KEY, b"cairn-key-file-v1 scrypt " + key_id.encode())
protected = header + (f"kind: full\nkey-id: {key_id}\nprotection: scrypt\nscrypt-log2-n: 15\nscrypt-r: 8\n"
                      f"scrypt-p: 1\nscrypt-salt: {salt.hex()}\nsealed-instance-key: {sealed.hex()}\n")


def prefix(t):
    return bytes([t]) + bytes.fromhex(key_id)


p1 = prefix(1)
n1 = bytes(range(0xB0, 0xBC))
wrap1 = p1 + n1 + AESGCM(INSTANCE_KEY).encrypt(n1, DATA_KEY, b"cairn-wrap-v1" + p1)
p2 = prefix(2)
wrap2 = p2 + x25519_seal(x_pub, bytes(range(0x60, 0x80)), b"cairn-wrap-v1 x25519", b"cairn-wrap-v1" + p2, DATA_KEY)
member = X25519PrivateKey.from_private_bytes(bytes(range(0x80, 0xA0)))
p4 = prefix(4)
grant4 = p4 + x25519_seal(raw_public(member), bytes(range(0xE0, 0x100)), b"cairn-member-v1 x25519",
                          b"cairn-wrap-v1" + p4, INSTANCE_KEY)
member_pem = member.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())

for name, text in [("keyfile_v1_plain.key", plain), ("keyfile_v1_write_only.key", write_only),
                   ("keyfile_v1_scrypt.key", protected)]:
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)
with open(os.path.join(HERE, "member_x25519_v1.pem"), "wb") as f:
    f.write(member_pem)

print("key id:", key_id)
print("instance x25519 public:", x_pub.hex())
print("scrypt kek:", kek.hex())
print("wrap type 1:", wrap1.hex())
print("wrap type 2:", wrap2.hex())
print("grant type 4:", grant4.hex())
