#!/usr/bin/env bash
# Key files, passphrases, write-only keys, rotation, members and revocation.
source "$(dirname "$0")/lib.sh"

# Every cairn call goes through a wrapper that keeps a copy of everything it
# printed (stdout and stderr, one pair of files per call), so the end can
# check that no call, not only the last, ever printed key material.
export CAIRN_REAL=$CAIRN_BIN CAIRN_LOG_DIR=$T/printed
mkdir -p "$CAIRN_LOG_DIR" "$T/logbin"
cat > "$T/logbin/cairn" <<'SH'
#!/usr/bin/env bash
o=$(mktemp "$CAIRN_LOG_DIR/out.XXXXXX") && e=$(mktemp "$CAIRN_LOG_DIR/err.XXXXXX") || exit 125
rc=0
"$CAIRN_REAL" "$@" >"$o" 2>"$e" || rc=$?
cat "$o" && cat "$e" >&2
exit $rc
SH
chmod +x "$T/logbin/cairn"
CAIRN_BIN=$T/logbin/cairn

cairn init proj --key-file "$T/keys/proj.key" >/dev/null
cd proj
KEY=$T/keys/proj.key
HEXKEY=$(sed -n 's/^instance-key: //p' "$KEY")
check "plain key file holds a hex key" [ ${#HEXKEY} = 64 ]
head -c 200000 /dev/urandom > data.bin
echo "first" > a.txt
uid_a=$(cairn save a.txt --key k/a)
uid_d=$(cairn save data.bin --key k/data)

# key show: path, id, kind; never the key.
cairn key show > "$T/show.txt"
check "show names the key file" grep -qF "$KEY" "$T/show.txt"
check "show says full" grep -q "kind: *full" "$T/show.txt"
kid=$(cairn key show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
check "show --json has the key id" [ ${#kid} = 16 ]

# Unsafe and missing key files: exit 6.
chmod 640 "$KEY"
expect_exit 6 "group-readable key file refused" cairn load k/a -o -
expect_err_contains "chmod 600"
chmod 600 "$KEY"
expect_exit 6 "missing key file" env CAIRN_KEY_FILE="$T/nope.key" "$CAIRN_BIN" load k/a -o -
expect_err_contains "no key file"

# Write-only key files: save works, load fails with the key ring's message.
cairn key export-write-only "$T/wo.key" >/dev/null
check "write-only key file is 0600" [ "$(stat -c %a "$T/wo.key")" = 600 ]
check_no_match "write-only key file holds no instance key" -q instance-key "$T/wo.key"
echo "batch output" > batch.txt
uid_b=$(CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" save batch.txt --key k/batch)
check "write-only save prints a uid" [ ${#uid_b} = 16 ]
expect_exit 6 "write-only load refused" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" load k/batch -o -
expect_err_contains "write-only"
check "full key loads what the write-only job saved" bash -c "\"$CAIRN_BIN\" load k/batch -o - | cmp -s - batch.txt"
expect_exit 6 "write-only key cannot rotate" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" key rotate
expect_exit 8 "export refuses to overwrite" cairn key export-write-only "$T/wo.key"

# Members: RSA-2048 and X25519 keys made with openssl.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
openssl genpkey -algorithm X25519 -out "$T/x.pem"
openssl pkey -in "$T/x.pem" -pubout -out "$T/x.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/small.pem" 2>/dev/null
openssl pkey -in "$T/small.pem" -pubout -out "$T/small.pub"
chmod 600 "$T"/*.pem
cairn access grant rosa --public-key "$T/rsa.pub" --role reader >/dev/null
cairn access grant xavier --public-key "$T/x.pub" --role writer >/dev/null
expect_exit 2 "RSA-1024 refused" cairn access grant tiny --public-key "$T/small.pub" --role reader
expect_err_contains "2048"
expect_exit 8 "same name twice" cairn access grant rosa --public-key "$T/x.pub" --role reader
check "access ls lists both" bash -c "\"$CAIRN_BIN\" access ls --json | python3 -c 'import json,sys; assert [m[\"name\"] for m in json.load(sys.stdin)] == [\"rosa\", \"xavier\"]'"

check "RSA member loads" bash -c "CAIRN_IDENTITY='$T/rsa.pem' \"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"
check "X25519 member loads" bash -c "CAIRN_IDENTITY='$T/x.pem' \"$CAIRN_BIN\" load k/data -o - | cmp -s - data.bin"
expect_exit 6 "reader cannot save" env CAIRN_IDENTITY="$T/rsa.pem" "$CAIRN_BIN" save a.txt --key k/by-rosa
expect_err_contains "rosa"
expect_exit 6 "writer cannot grant" env CAIRN_IDENTITY="$T/x.pem" "$CAIRN_BIN" access grant t --public-key "$T/rsa.pub" --role admin
echo "by xavier" > x.txt
check "writer saves" bash -c "CAIRN_IDENTITY='$T/x.pem' \"$CAIRN_BIN\" save x.txt --key k/x >/dev/null"
chmod 644 "$T/x.pem"
expect_exit 6 "identity readable by others refused" env CAIRN_IDENTITY="$T/x.pem" "$CAIRN_BIN" load k/a -o -
chmod 600 "$T/x.pem"
expect_exit 6 "unknown identity" env CAIRN_IDENTITY="$T/small.pem" "$CAIRN_BIN" load k/a -o -
expect_err_contains "belongs to no member"

# Rotation: contents in storage unchanged, old artifacts still load, old key gone.
# (audit/checkpoints/ gains the checkpoint the rotation publishes: docs/AUDIT.md, Anchors.)
sums_before=$(cd .cairn/storage && find . -type f ! -path './audit/checkpoints/*' | sort | xargs sha256sum)
cp "$KEY" "$T/old-copy.key"
cairn key rotate > "$T/rotate.txt"
midhex=$(sed -n 's/^instance-key: //p' "$KEY")
check "rotation wrote a hex key" [ ${#midhex} = 64 ]
sums_after=$(cd .cairn/storage && find . -type f ! -path './audit/checkpoints/*' | sort | xargs sha256sum)
check "rotation leaves stored ciphertext unchanged" [ "$sums_before" = "$sums_after" ]
check "rotation published an audit checkpoint" [ "$(find .cairn/storage/audit/checkpoints -type f | wc -l)" -ge 1 ]
check "key file still 0600" [ "$(stat -c %a "$KEY")" = 600 ]
check "no old or pending key file left" [ "$(ls "$T/keys")" = "proj.key" ]
newkid=$(cairn key show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
check "key id changed" [ "$newkid" != "$kid" ]
check "old artifact loads after rotation" bash -c "\"$CAIRN_BIN\" load k/data -o - | cmp -s - data.bin"
check "write-only save loads after rotation" bash -c "\"$CAIRN_BIN\" load k/batch -o - | cmp -s - batch.txt"
rm -rf "$XDG_CACHE_HOME"
check "loads from storage after rotation" bash -c "\"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"
expect_exit 6 "copy of the old key file opens nothing" env CAIRN_KEY_FILE="$T/old-copy.key" "$CAIRN_BIN" load k/a -o -
expect_err_contains "rotated"
expect_exit 6 "old write-only key file is outdated" env CAIRN_KEY_FILE="$T/wo.key" "$CAIRN_BIN" save a.txt --key k/late
check "members re-granted by rotation" bash -c "CAIRN_IDENTITY='$T/rsa.pem' \"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"

# Revocation: the revoked identity opens nothing, the other member still can.
cairn access revoke rosa > "$T/revoke.txt"
check "revoke lists what was exposed" grep -qF "$uid_a" "$T/revoke.txt"
check "revoke says copies can't be recalled" grep -q "cannot be recalled" "$T/revoke.txt"
for ref in k/a k/data k/batch k/x; do
    expect_exit 6 "revoked member cannot load $ref" env CAIRN_IDENTITY="$T/rsa.pem" "$CAIRN_BIN" load "$ref" -o -
done
expect_err_contains "rosa"
check "remaining member still loads" bash -c "CAIRN_IDENTITY='$T/x.pem' \"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"
check "ls --all shows the revocation" bash -c "\"$CAIRN_BIN\" access ls --all --json | grep -q '\"revoked_at\": \"2'"
expect_exit 3 "revoking twice" cairn access revoke rosa

# An admin member rotates: the key file goes stale, and `key export` (admin
# only) writes a new full key file from the member's grant.
openssl genpkey -algorithm X25519 -out "$T/adm.pem" && chmod 600 "$T/adm.pem"
openssl pkey -in "$T/adm.pem" -pubout -out "$T/adm.pub"
cairn access grant ada --public-key "$T/adm.pub" --role admin >/dev/null
CAIRN_IDENTITY="$T/adm.pem" "$CAIRN_BIN" key rotate > "$T/member-rotate.txt"
check "member rotation says the key file is outdated" grep -q "cairn key export" "$T/member-rotate.txt"
expect_exit 6 "stale key file opens nothing after a member rotation" cairn load k/a -o -
expect_exit 6 "a writer member cannot export the key" env CAIRN_IDENTITY="$T/x.pem" "$CAIRN_BIN" key export "$T/keys/by-writer.key"
check "refused export wrote no file" [ ! -e "$T/keys/by-writer.key" ]
expect_exit 3 "export into a missing directory" env CAIRN_IDENTITY="$T/adm.pem" "$CAIRN_BIN" key export "$T/nodir/k.key"
expect_err_contains "mkdir -m 700"
CAIRN_IDENTITY="$T/adm.pem" "$CAIRN_BIN" key export "$T/keys/fresh.key" >/dev/null
check "exported key file is 0600" [ "$(stat -c %a "$T/keys/fresh.key")" = 600 ]
check "exported key file loads" bash -c "CAIRN_KEY_FILE='$T/keys/fresh.key' \"$CAIRN_BIN\" load k/data -o - | cmp -s - data.bin"
expect_exit 8 "export refuses to overwrite a key file" env CAIRN_IDENTITY="$T/adm.pem" "$CAIRN_BIN" key export "$T/keys/fresh.key"
expect_exit 2 "export --passphrase needs CAIRN_PASSPHRASE_FILE" env CAIRN_IDENTITY="$T/adm.pem" "$CAIRN_BIN" key export --passphrase "$T/keys/sealed.key"
check "no file from the refused passphrase export" [ ! -e "$T/keys/sealed.key" ]
printf 'battery staple\n' > "$T/pass2" && chmod 600 "$T/pass2"
CAIRN_IDENTITY="$T/adm.pem" CAIRN_PASSPHRASE_FILE="$T/pass2" "$CAIRN_BIN" key export --passphrase "$T/keys/sealed.key" >/dev/null
check "sealed export is passphrase-protected" grep -q "protection: scrypt" "$T/keys/sealed.key"
check "sealed export loads with its passphrase" bash -c "CAIRN_KEY_FILE='$T/keys/sealed.key' CAIRN_PASSPHRASE_FILE='$T/pass2' \"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"
mv "$T/keys/fresh.key" "$KEY"
check "the owner is back with the exported key" bash -c "\"$CAIRN_BIN\" load k/a -o - | cmp -s - a.txt"

# Audit events for the key commands.
check "audit has rotate, grant, revoke and export" python3 -c "import sqlite3; a=[r[0] for r in sqlite3.connect('.cairn/catalog.db').execute('SELECT action FROM audit_event')]; assert 'key.rotate' in a and 'access.grant' in a and 'access.revoke' in a and 'key.export' in a"
cd "$T"

# Passphrase-protected key files.
printf 'correct horse\n' > "$T/pass" && chmod 600 "$T/pass"
printf 'wrong horse\n' > "$T/badpass" && chmod 600 "$T/badpass"
CAIRN_PASSPHRASE_FILE="$T/pass" "$CAIRN_BIN" init pp --passphrase --key-file "$T/keys/pp.key" >/dev/null
cd pp
echo secret > s.txt
check "save with passphrase" bash -c "CAIRN_PASSPHRASE_FILE='$T/pass' \"$CAIRN_BIN\" save s.txt --key s >/dev/null"
check "show says passphrase-protected without asking" bash -c "\"$CAIRN_BIN\" key show | grep -q passphrase-protected"
expect_exit 6 "wrong passphrase" env CAIRN_PASSPHRASE_FILE="$T/badpass" "$CAIRN_BIN" load s -o -
expect_err_contains "wrong passphrase"
expect_exit 6 "no passphrase source" cairn load s -o - </dev/null
CAIRN_PASSPHRASE_FILE="$T/pass" "$CAIRN_BIN" key rotate >/dev/null
check "rotation keeps the passphrase" grep -q "protection: scrypt" "$T/keys/pp.key"
check "load after passphrase rotation" bash -c "CAIRN_PASSPHRASE_FILE='$T/pass' \"$CAIRN_BIN\" load s -o - | cmp -s - s.txt"
expect_exit 6 "wrong passphrase after rotation" env CAIRN_PASSPHRASE_FILE="$T/badpass" "$CAIRN_BIN" load s -o -
cd "$T"

# No command ever printed key material: check everything every call printed.
n_printed=$(find "$CAIRN_LOG_DIR" -type f | wc -l)
check "every call's output was kept ($n_printed files)" [ "$n_printed" -ge 100 ]
check "the kept output is what cairn printed" grep -rqF "$uid_a" "$CAIRN_LOG_DIR"
newhex=$(sed -n 's/^instance-key: //p' "$T/keys/proj.key")
check "the key file holds a third hex key" [ ${#newhex} = 64 ]
check "three distinct instance keys" [ "$(printf '%s\n' "$HEXKEY" "$midhex" "$newhex" | sort -u | wc -l)" = 3 ]
check_no_match "hex key never printed" -rqiF "$HEXKEY" "$CAIRN_LOG_DIR"
check_no_match "hex key after the first rotation never printed" -rqiF "$midhex" "$CAIRN_LOG_DIR"
check_no_match "new hex key never printed" -rqiF "$newhex" "$CAIRN_LOG_DIR"
check "audit rows read" python3 -c "import sqlite3, sys; open(sys.argv[2], 'w').write(repr(list(sqlite3.connect(sys.argv[1]).execute('SELECT * FROM audit_event'))))" proj/.cairn/catalog.db "$T/audit-rows"
check "the audit rows read include the rotation" grep -q key.rotate "$T/audit-rows"
check_no_match "no key in the audit trail" -qiF -e "$HEXKEY" -e "$midhex" -e "$newhex" "$T/audit-rows"

finish
