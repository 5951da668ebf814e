#!/usr/bin/env python3
"""Independent reference for the cairn folder stream v1 (docs/FORMAT.md,
section 4), written from the format description, not from the C++ code.
Regenerates tests/vectors/folder_v1.bin and prints its SHA-256 (the
artifact's content hash), which docs/FORMAT.md quotes.

The tree: a.txt = "alpha\\n" (mode 0644), sub/b.bin = bytes 00..09 (0755),
sub/empty = no bytes (0600), and an empty folder "void" (not recorded).
"""
import hashlib
import os
import struct

FILES = [  # (path, mode, content); the stream orders them by path bytes
    ("sub/empty", 0o600, b""),
    ("a.txt", 0o644, b"alpha\n"),
    ("sub/b.bin", 0o755, bytes(range(10))),
]


def stream(files):
    files = sorted(files, key=lambda f: f[0].encode())
    out = b"CAIRNDIR" + struct.pack(">I", 1) + struct.pack(">Q", len(files))
    for path, mode, content in files:
        p = path.encode()
        out += struct.pack(">H", len(p)) + p + struct.pack(">I", mode) + struct.pack(">Q", len(content)) + content
    return out


data = stream(FILES)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "folder_v1.bin"), "wb") as f:
    f.write(data)
print(f"folder_v1.bin: {len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()}")
