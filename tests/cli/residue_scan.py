#!/usr/bin/env python3
"""Residue scanner: searches every byte of every file under the given
directories for needles, so tests can assert that nothing of a purged
artifact is left anywhere cairn writes.

  residue_scan.py [--hex NAME=HEX]... [--text NAME=TEXT]... [--s3-bucket B [--s3-endpoint URL]] PATH...

PATHs are files or directories (walked recursively, symlinks not followed).
With --s3-bucket, every object version, delete marker and unfinished
multipart upload of bucket B is listed with /usr/bin/aws (credentials from
the environment: AWS_ACCESS_KEY_ID, ...)
and every version's bytes are downloaded and scanned too.
Prints one line per hit ("NAME in FILE at OFFSET"). Exit 0: everything was
read and nothing found; 1: something found; 2: an error (nothing to scan,
unreadable file, aws failure), so a scan that read nothing cannot pass.
"""
import json, os, subprocess, sys, tempfile


def parse(argv):
    needles, paths, bucket = [], [], None
    global ENDPOINT
    it = iter(argv)
    for a in it:
        if a in ("--hex", "--text"):
            name, _, value = next(it).partition("=")
            data = bytes.fromhex(value) if a == "--hex" else value.encode()
            if not name or not data:
                raise ValueError(f"empty needle or name: {a} {name}")
            needles.append((name, data))
        elif a == "--s3-bucket":
            bucket = next(it)
        elif a == "--s3-endpoint":
            ENDPOINT = next(it)
        else:
            paths.append(a)
    if not needles:
        raise ValueError("no needles")
    if not paths and not bucket:
        raise ValueError("nothing to scan")
    return needles, paths, bucket


def scan_bytes(label, data, needles, hits):
    for name, needle in needles:
        at = data.find(needle)
        if at >= 0:
            hits.append(f"{name} in {label} at {at}")


def scan_paths(paths, needles, hits):
    scanned = 0
    for root in paths:
        if os.path.isfile(root):
            files = [root]
        elif os.path.isdir(root):
            files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
        else:
            raise FileNotFoundError(root)
        for f in files:
            if os.path.islink(f) or not os.path.isfile(f):
                continue
            with open(f, "rb") as fh:
                scan_bytes(f, fh.read(), needles, hits)
            scanned += 1
    return scanned


ENDPOINT = None


def aws(*args):
    endpoint = ["--endpoint-url", ENDPOINT] if ENDPOINT else []
    out = subprocess.run(["/usr/bin/aws", *endpoint, "s3api", *args, "--output", "json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else {}


def scan_bucket(bucket, needles, hits):
    listed = aws("list-object-versions", "--bucket", bucket)
    versions = listed.get("Versions", [])
    for m in listed.get("DeleteMarkers", []):
        hits.append(f"delete marker {m['Key']} in s3://{bucket}")
    for u in aws("list-multipart-uploads", "--bucket", bucket).get("Uploads", []):
        hits.append(f"unfinished upload {u['Key']} in s3://{bucket}")
    with tempfile.TemporaryDirectory() as tmp:
        for v in versions:
            out = os.path.join(tmp, "v")
            # "=" form: radosgw version ids may begin with "-", which aws would read as an option
            aws("get-object", f"--bucket={bucket}", f"--key={v['Key']}", f"--version-id={v['VersionId']}", out)
            with open(out, "rb") as fh:
                scan_bytes(f"s3://{bucket}/{v['Key']}?versionId={v['VersionId']}", fh.read(), needles, hits)
    return len(versions)


def main():
    try:
        needles, paths, bucket = parse(sys.argv[1:])
        hits = []
        scanned = scan_paths(paths, needles, hits)
        if bucket:
            scan_bucket(bucket, needles, hits)
        if paths and scanned == 0:
            raise ValueError("no files found under " + " ".join(paths))
    except Exception as e:  # any failure to read means "not proven clean"
        print(f"residue_scan: {e}", file=sys.stderr)
        return 2
    for h in hits:
        print(h)
    return 1 if hits else 0


sys.exit(main())
