#!/usr/bin/env python3
"""Independent reference for the cairn encrypted object format v1 (docs/FORMAT.md).

Written from the format description, not from the C++ code, using the
`cryptography` package's AES-GCM. Regenerates tests/vectors/stream_v1_150000.bin
and prints the values quoted in docs/FORMAT.md.
"""
import hashlib
import struct
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes(range(32))
PREFIX = bytes(range(0xA0, 0xA7))
UID = b"0123456789abcdef"
KEY_ID = b"fedcba9876543210"
SEGMENT = 64 * 1024


def pattern(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def encrypt(plain):
    header = (b"CAIRNENC" + bytes([1, 1]) + struct.pack(">I", SEGMENT)
              + bytes([len(UID)]) + UID + bytes([len(KEY_ID)]) + KEY_ID + PREFIX)
    gcm = AESGCM(KEY)
    out = [header]
    n_full = len(plain) // SEGMENT  # full segments are never final
    for i in range(n_full + 1):
        last = i == n_full
        nonce = PREFIX + struct.pack(">I", i) + bytes([1 if last else 0])
        out.append(gcm.encrypt(nonce, plain[i * SEGMENT:(i + 1) * SEGMENT], header))
    return b"".join(out)


if __name__ == "__main__":
    empty = encrypt(b"")
    print("empty plaintext:", empty.hex())
    big = encrypt(pattern(150000))
    print("150000-byte plaintext: size", len(big), "sha256", hashlib.sha256(big).hexdigest())
    hdr_len = len(empty) - 16
    tags = [big[hdr_len + (i + 1) * (SEGMENT + 16) - 16: hdr_len + (i + 1) * (SEGMENT + 16)].hex()
            for i in range(2)] + [big[-16:].hex()]
    print("segment tags:", " ".join(tags))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "wb") as f:
            f.write(big)
