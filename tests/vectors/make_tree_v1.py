#!/usr/bin/env python3
"""Test vectors for the tree hash (docs/FORMAT.md section 4), written from
that section alone with hashlib: prints one line per content size,
`size tree-hash-text`, for contents whose byte i is (31*i + 7) mod 256.
core/crypto/tree_hash_test.cpp and docs/FORMAT.md section 5 hold the
output; tests/cli/test_reader.sh runs this again and compares."""
import hashlib
import struct

L = 1 << 20


def pattern(n):
    return bytes((31 * i + 7) % 256 for i in range(n))


def mth(d):
    # RFC 6962 section 2.1, with the leaves already hashed.
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def tree_hash(content):
    n = max(1, -(-len(content) // L))
    leaves = [hashlib.sha256(b"\x00" + content[i * L:(i + 1) * L]).digest() for i in range(n)]
    root = mth(leaves)
    return "tree1:" + hashlib.sha256(b"\x02" + struct.pack(">Q", len(content)) + struct.pack(">I", L) + root).hexdigest()


SIZES = [0, 1, L - 1, L, L + 1, 2 * L, 3 * L + 5, 5 * L]

if __name__ == "__main__":
    big = pattern(max(SIZES))
    for n in SIZES:
        print(n, tree_hash(big[:n]))
