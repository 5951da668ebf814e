#!/usr/bin/env bash
# audit inventory: the data map lists every artifact (active, pending
# deletion, deleted) with storage, encryption, key id, retention rule and
# deletion state, and is itself an audited access.
source "$(dirname "$0")/lib.sh"

cairn init proj >/dev/null 2>&1
cd proj
printf 'retention:\n  - match: "tmp/**"\n    max_age: 30d\n' >> .cairn/config.yaml
echo a > a.txt && echo b > b.txt && echo c > c.txt
keep=$(cairn save a.txt --key data/keep.txt -q)
tmp=$(cairn save b.txt --key tmp/scratch.txt -q)
gone=$(cairn save c.txt --key data/gone.txt -q)
pending=$(cairn save b.txt --key data/pending.txt -q)
cairn purge request data/gone.txt --reason "subject request #7" >/dev/null 2>&1
cairn purge run -q >/dev/null 2>&1
req=$(cairn purge request data/pending.txt --grace 1d --reason later 2>/dev/null)
kid=$(cairn key show --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["key_id"])')

cairn audit inventory --json > inv.json
check "inventory is JSON with 4 artifacts" python3 -c "import json; assert len(json.load(open('inv.json'))) == 4"
check "inventory fields" python3 - "$keep" "$tmp" "$gone" "$pending" "$kid" "$req" <<'PY'
import json, sys
keep, tmp, gone, pending, kid, req = sys.argv[1:]
inv = {e["uid"]: e for e in json.load(open("inv.json"))}
k = inv[keep]
assert k["state"] == "active" and k["key"] == "data/keep.txt", k
assert k["encryption"] == "AES-256-GCM STREAM v1", k
assert k["key_id"] == kid and not k["data_key_shredded"], k
assert k["storage"].startswith("file://") or "/" in k["storage"], k
assert k["object"] and k["retention_rule"] is None and k["deletion"] is None, k
assert inv[tmp]["retention_rule"] == "tmp/**", inv[tmp]
g = inv[gone]
assert g["state"] == "deleted" and g["key"] is None and g["data_key_shredded"], g
assert g["deletion"]["request_state"] == "done" and g["deletion"]["reason"] == "subject request #7", g
assert g["deleted_at"] is not None and g["storage"], g
p = inv[pending]
assert p["state"] == "pending_deletion", p
assert p["deletion"]["request_state"] == "pending" and p["deletion"]["target_state"] == "pending", p
assert p["deletion"]["request"] in req, (req, p)
PY
cairn audit inventory > inv.txt
check "text inventory lists every uid" bash -c "grep -q $keep inv.txt && grep -q $gone inv.txt && grep -q $pending inv.txt"
check "text inventory names the encryption" grep -q "AES-256-GCM STREAM v1" inv.txt
check "inventory is audited" bash -c "\"$CAIRN_BIN\" audit --action audit.inventory --json | grep -q audit.inventory"
expect_exit 7 "inventory without an instance" bash -c "cd / && \"$CAIRN_BIN\" audit inventory"

finish
