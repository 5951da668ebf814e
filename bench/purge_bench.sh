#!/bin/bash
# Purge benchmark: time `cairn purge run` for N due artifacts (default
# 10,000) on radosgw when one is available (S3_ENDPOINT set, or the
# gateway of scripts/rgw.sh in $CAIRN_RGW_DIR answers), else on local
# storage; says which.
#
# Setup is not what is measured, so it takes a shortcut: one artifact is
# saved with cairn, then N-1 more catalog rows are cloned from it by Python
# with fresh uids and object names, and their objects uploaded in bulk (aws
# s3 cp --recursive, or plain copies). Purge never decrypts, so the cloned
# objects need not be valid ciphertext for their uids.
#
#   bench/purge_bench.sh [N]       CAIRN_BIN=path/to/cairn (default build/cairn)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000}
bin=${CAIRN_BIN:-$here/build/cairn}
T=$(mktemp -d /tmp/cairn-purge-bench.XXXXXX)
cleanup=("rm -rf '$T'")
trap 'for c in "${cleanup[@]}"; do eval "$c" || true; done' EXIT
export HOME=$T/home XDG_CACHE_HOME=$T/home/.cache XDG_CONFIG_HOME=$T/home/.config AWS_PAGER=""
mkdir -p "$HOME"
unset CAIRN_INSTANCE CAIRN_KEY_FILE

mode=local
if [ -n "${S3_ENDPOINT:-}" ] || bash "$here/scripts/rgw.sh" status >/dev/null 2>&1; then
    if [ -z "${S3_ENDPOINT:-}" ]; then
        rgw_env=$(bash "$here/scripts/rgw.sh" env) # the gateway in $CAIRN_RGW_DIR
        eval "$rgw_env"
    fi
    mode=radosgw
fi
# Some awscli versions cannot parse /dev/null as a credentials file; the
# keys come from the environment anyway.
if [ "${AWS_SHARED_CREDENTIALS_FILE:-}" = /dev/null ]; then
    : > "$T/aws-credentials"
    export AWS_SHARED_CREDENTIALS_FILE=$T/aws-credentials
fi
s3api() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3api "$@"; }

if [ $mode = radosgw ]; then
    bucket=cairn-bench-$(date +%s)-$$
    s3api create-bucket --bucket "$bucket" >/dev/null
    s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
    cleanup+=("s3api delete-bucket --bucket '$bucket' >/dev/null 2>&1")
    "$bin" init "$T/proj" --storage "s3://$bucket/inst" --endpoint "$S3_ENDPOINT" --allow-http >/dev/null
else
    "$bin" init "$T/proj" >/dev/null
fi
cd "$T/proj"
head -c 4096 /dev/urandom > seed.bin
"$bin" save seed.bin --key bench/data >/dev/null 2>&1

echo "setup: cloning $n artifacts ($mode)..." >&2
mkdir -p "$T/objects"
python3 - .cairn/catalog.db "$n" "$T/objects" <<'PY'
import os, secrets, shutil, sqlite3, sys
db, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db)
cols = [r[1] for r in c.execute("PRAGMA table_info(artifact)") if r[1] != "id"]
tpl = dict(zip(cols, c.execute("SELECT %s FROM artifact WHERE key = 'bench/data'" % ",".join(cols)).fetchone()))
alphabet = "0123456789abcdefghijklmnopqrstuv"
c.execute("UPDATE artifact SET is_latest = 0")
rows = []
for v in range(2, n + 1):
    r = dict(tpl)
    r["uid"] = "".join(secrets.choice(alphabet) for _ in range(16))
    h = secrets.token_hex(16)
    r["object_name"] = "objects/%s/%s" % (h[:2], h)
    r["version"], r["is_latest"], r["wrapped_key"] = v, int(v == n), secrets.token_bytes(len(tpl["wrapped_key"]))
    os.makedirs(os.path.join(out, h[:2]), exist_ok=True)
    with open(os.path.join(out, h[:2], h), "wb") as f:
        f.write(b"x" * tpl["stored_size"])
    rows.append(tuple(r[k] for k in cols))
c.executemany("INSERT INTO artifact (%s) VALUES (%s)" % (",".join(cols), ",".join("?" * len(cols))), rows)
c.commit()
PY
if [ $mode = radosgw ]; then
    /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 cp --recursive --quiet "$T/objects" "s3://$bucket/inst/objects"
else
    cp -r "$T/objects/." .cairn/storage/objects/
fi

"$bin" purge request bench/data --reason benchmark >/dev/null 2>&1
echo "purge run: $n artifacts on $mode" >&2
start=$(date +%s.%N)
${CAIRN_BENCH_WRAP:-} "$bin" purge run --quiet
[ -z "${CAIRN_BENCH_KEEP:-}" ] || cp .cairn/catalog.db "$CAIRN_BENCH_KEEP"
end=$(date +%s.%N)
secs=$(python3 -c "print(f'{$end - $start:.1f}')")

if [ $mode = radosgw ]; then
    left=$(s3api list-object-versions --bucket "$bucket" --prefix inst/objects/ --output text \
        --query '[length(Versions || `[]`), length(DeleteMarkers || `[]`)]' | tr '\t' ' ')
else
    left="$(find .cairn/storage/objects -type f | wc -l) 0"
fi
echo "purge_bench: $n artifacts, storage=$mode, purge run ${secs}s, left in storage (versions, markers): $left"
