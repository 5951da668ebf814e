#!/usr/bin/env bash
# A team on many machines: the owner runs 'cairn init --catalog postgresql://'
# on one; each member runs 'cairn connect' on their own machine (a HOME,
# XDG dirs and working directory of their own), which writes config.yaml and
# the audit public key and nothing secret. Members then work with their own
# database login, member key and Ed25519 signing key; every event they
# append is signed by them, and verify refuses what one member writes in
# another's name. Runs on a private throwaway PostgreSQL 15 cluster
# (pg_virtualenv), with directory storage all machines reach.
set -euo pipefail
source "$(dirname "$0")/in_cluster.sh"
pg_port=$PGPORT
. "$(dirname "$0")/../cli/lib.sh"

db=teamdb
super=$PGUSER
psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc "CREATE ROLE owner LOGIN CREATEROLE PASSWORD 'pw-owner'" >/dev/null
psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc "CREATE DATABASE $db OWNER owner" >/dev/null
: > "$T/pgpass"
for login in owner ann bob; do
    [ "$login" = owner ] || psql -h 127.0.0.1 -p "$pg_port" -d postgres -qtAc \
        "CREATE ROLE $login LOGIN PASSWORD 'pw-$login'" >/dev/null
    printf '127.0.0.1:%s:*:%s:pw-%s\n' "$pg_port" "$login" "$login" >> "$T/pgpass"
done
printf '127.0.0.1:%s:*:%s:%s\n' "$pg_port" "$super" "$PGPASSWORD" >> "$T/pgpass"
chmod 600 "$T/pgpass"
unset PGPASSWORD
export PGPASSFILE="$T/pgpass"
url="postgresql://127.0.0.1:$pg_port/$db?sslmode=disable"
psql_super() { psql -h 127.0.0.1 -p "$pg_port" -U "$super" -d "$db" -qtAc "$1"; }

# Each machine: its own HOME (key files, caches), state (recorded heads) and directory.
machine() {
    local who=$1; shift
    env HOME="$T/$who-home" XDG_CACHE_HOME="$T/$who-home/.cache" XDG_CONFIG_HOME="$T/$who-home/.config" \
        XDG_STATE_HOME="$T/$who-home/.local/state" PGUSER="$who" "$@"
}
mkdir -p "$T/owner-home" "$T/ann-home" "$T/bob-home" "$T/owner" "$T/ann" "$T/bob" "$T/store"
owner() { (cd "$T/owner" && machine owner "$CAIRN_BIN" "$@"); }
# A member on their machine, acting with their member key and signing key.
member() {
    local m=$1; shift
    (cd "$T/$m" && machine "$m" env CAIRN_IDENTITY="$T/$m.pem" CAIRN_SIGNING_KEY="$T/$m.sign.pem" "$CAIRN_BIN" "$@")
}

# --- the owner's machine --------------------------------------------------------
expect_exit 0 "init on PostgreSQL with shared directory storage" \
    owner init --catalog "$url" --allow-plain-catalog --storage "$T/store"
expect_exit 0 "the owner reads the audit key's fingerprint" owner --json audit public-key
fp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_fingerprint"])' "$T/out")
for m in ann bob eve; do
    openssl genpkey -algorithm X25519 -out "$T/$m.pem" 2>/dev/null && chmod 600 "$T/$m.pem"
    openssl pkey -in "$T/$m.pem" -pubout -out "$T/$m.pub"
    openssl genpkey -algorithm ed25519 -out "$T/$m.sign.pem" 2>/dev/null && chmod 600 "$T/$m.sign.pem"
    openssl pkey -in "$T/$m.sign.pem" -pubout -out "$T/$m.sign.pub"
done
expect_exit 2 "a signing key that is not Ed25519" \
    owner access grant ann --public-key "$T/ann.pub" --role writer --signing-key "$T/ann.pub"
expect_err_contains "is not an Ed25519 public key"
check "and no member was granted" test "$(psql_super "SELECT count(*) FROM member")" = 0
expect_exit 0 "grant ann writer with her signing key and login" \
    owner access grant ann --public-key "$T/ann.pub" --role writer --signing-key "$T/ann.sign.pub" --db-login ann
expect_exit 8 "the same signing key for another member" \
    owner access grant bob --public-key "$T/bob.pub" --role writer --signing-key "$T/ann.sign.pub" --db-login bob
expect_err_contains "this signing key already belongs to member 'ann'"
expect_exit 0 "grant bob writer" \
    owner access grant bob --public-key "$T/bob.pub" --role writer --signing-key "$T/bob.sign.pub" --db-login bob
check "the grant carries the audit key wrapped for ann" \
    test "$(psql_super "SELECT wrapped_audit_key IS NOT NULL AND signing_key IS NOT NULL FROM member WHERE name = 'ann'")" = t

# --- cairn connect: what it refuses ----------------------------------------------
expect_exit 7 "a password in the URL" \
    machine ann "$CAIRN_BIN" connect "postgresql://ann:pw-ann@127.0.0.1:$pg_port/$db?sslmode=disable" --dir "$T/ann" --allow-plain-catalog
expect_exit 7 "a plain connection without --allow-plain-catalog" machine ann "$CAIRN_BIN" connect "$url" --dir "$T/ann"
expect_exit 4 "an audit key that is not the one the admin gave" \
    machine ann "$CAIRN_BIN" connect "$url" --dir "$T/ann" --allow-plain-catalog --audit-key-fingerprint "SHA256:$(printf '0%.0s' {1..64})"
expect_err_contains "nothing was written"
expect_exit 7 "a database that holds no instance" \
    machine ann "$CAIRN_BIN" connect "postgresql://127.0.0.1:$pg_port/postgres?sslmode=disable" --dir "$T/ann" --allow-plain-catalog
check "the refusals left nothing in ann's directory" test -z "$(ls -A "$T/ann")"

# --- cairn connect on ann's and bob's machines ------------------------------------
expect_exit 0 "ann connects" machine ann "$CAIRN_BIN" connect "$url" --dir "$T/ann" --allow-plain-catalog --audit-key-fingerprint "$fp"
check "it prints the audit key's fingerprint" grep -qF "$fp" "$T/out"
check ".cairn holds config.yaml and the audit public key, nothing else" \
    test "$(ls -A "$T/ann/.cairn" | sort | tr '\n' ' ')" = "audit-sign.pub config.yaml "
check "the .cairn directory is 0700" test "$(stat -c %a "$T/ann/.cairn")" = 700
check "config.yaml is 0600" test "$(stat -c %a "$T/ann/.cairn/config.yaml")" = 600
check_not "no password in config.yaml" grep -q "pw-" "$T/ann/.cairn/config.yaml"
check "the same public key as the owner's" cmp -s "$T/ann/.cairn/audit-sign.pub" "$T/owner/.cairn/audit-sign.pub"
check "ann's machine holds no key file" test ! -e "$T/ann-home/.config/cairn"
expect_exit 8 "connect again into the same directory" machine ann "$CAIRN_BIN" connect "$url" --dir "$T/ann" --allow-plain-catalog
expect_exit 0 "bob connects" machine bob "$CAIRN_BIN" connect "$url" --dir "$T/bob" --allow-plain-catalog

# --- ann works from her machine ---------------------------------------------------------
printf 'ann data\n' > "$T/ann/a.txt"
objects() { find "$T/store" -type f | wc -l; }
before=$(objects)
expect_exit 6 "without her signing key ann cannot append events" \
    bash -c "cd '$T/ann' && HOME='$T/ann-home' XDG_STATE_HOME='$T/ann-home/.local/state' XDG_CACHE_HOME='$T/ann-home/.cache' XDG_CONFIG_HOME='$T/ann-home/.config' PGUSER=ann CAIRN_IDENTITY='$T/ann.pem' '$CAIRN_BIN' save a.txt --key ann/a"
expect_err_contains "no key to sign audit events"
check "and nothing was saved" test "$(psql_super "SELECT count(*) FROM artifact")" = 0
check "nor stored" test "$(objects)" = "$before"
expect_exit 6 "with a signing key that is not hers" \
    bash -c "cd '$T/ann' && HOME='$T/ann-home' PGUSER=ann CAIRN_IDENTITY='$T/ann.pem' CAIRN_SIGNING_KEY='$T/eve.sign.pem' '$CAIRN_BIN' ls"
expect_err_contains "is not the signing key registered for member 'ann'"
openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret -out "$T/ann.sign.enc.pem" 2>/dev/null && chmod 600 "$T/ann.sign.enc.pem"
expect_exit 2 "a passphrase-protected signing key is refused, never prompted for" \
    bash -c "cd '$T/ann' && HOME='$T/ann-home' PGUSER=ann CAIRN_IDENTITY='$T/ann.pem' CAIRN_SIGNING_KEY='$T/ann.sign.enc.pem' setsid -w '$CAIRN_BIN' ls < /dev/null"
expect_err_contains "is not an unencrypted Ed25519 private key"
chmod 644 "$T/ann.sign.pem"
expect_exit 6 "a signing key others can read" member ann ls
chmod 600 "$T/ann.sign.pem"
expect_exit 0 "ann saves" member ann save a.txt --key ann/a
expect_exit 0 "ann loads it back" member ann load ann/a -o "$T/a.back"
check "the bytes" same_file "$T/ann/a.txt" "$T/a.back"
expect_exit 0 "ann lists" member ann ls ann/
check "her artifact" grep -q "ann/a" "$T/out"
expect_exit 0 "ann verifies the trail from her machine" member ann audit verify
ann_fp=$(python3 - "$T/ann.sign.pub" <<'EOF'
import hashlib, subprocess, sys
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[1], "-outform", "DER"], capture_output=True, check=True).stdout
print("SHA256:" + hashlib.sha256(der[-32:]).hexdigest())
EOF
)
check "ann's events are signed with her key" \
    test "$(psql_super "SELECT count(*) FROM audit_event WHERE credential LIKE 'member ann %' AND signer = '$ann_fp'")" -ge 3
check "and no event with another signer names her" \
    test "$(psql_super "SELECT count(*) FROM audit_event WHERE credential LIKE 'member ann %' AND signer <> '$ann_fp'")" = 0
check "the owner's events are signed with the instance key" \
    test "$(psql_super "SELECT count(*) FROM audit_event WHERE credential LIKE 'key file %' AND signer <> '$fp'")" = 0
check "every event is signed" test "$(psql_super "SELECT count(*) FROM audit_event WHERE signature IS NULL")" = 0
expect_exit 0 "ann exports the trail" member ann audit export -o "$T/trail.jsonl"
check "the export carries each event's signer and signature" python3 - "$T/trail.jsonl" "$ann_fp" <<'EOF'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
assert events and all(e["signer"] and len(e["signature"]) == 128 for e in events)
assert any(e["signer"] == sys.argv[2] for e in events)
EOF

# --- bob reads ann's data from his machine; the owner verifies --------------------------
expect_exit 0 "bob loads ann's artifact" member bob load ann/a -o "$T/b.back"
check "the bytes" same_file "$T/ann/a.txt" "$T/b.back"
printf 'bob data\n' > "$T/bob/b.txt"
expect_exit 0 "bob saves with lineage from ann's" member bob save b.txt --key bob/b --from ann/a
expect_exit 0 "the owner verifies" owner audit verify
expect_exit 0 "lineage seen from ann's machine" member ann lineage bob/b
check "names ann's artifact" grep -q "ann/a" "$T/out"

# --- what a forger leaves behind (the table owner forcing edits, triggers off) -----------
force() { psql_super "SET session_replication_role = replica; $1" >/dev/null; }
bob_seq=$(psql_super "SELECT max(seq) FROM audit_event WHERE credential LIKE 'member bob %'")
bob_signer=$(psql_super "SELECT signer FROM audit_event WHERE seq = $bob_seq")
ann_seq=$(psql_super "SELECT max(seq) FROM audit_event WHERE credential LIKE 'member ann %'")
ann_sig=$(psql_super "SELECT encode(signature, 'hex') FROM audit_event WHERE seq = $ann_seq")
force "UPDATE audit_event SET signer = '$bob_signer' WHERE seq = $ann_seq"
expect_exit 4 "ann's event re-attributed to bob's key" member ann audit verify
expect_err_contains "invalid signature"
force "UPDATE audit_event SET signer = '$ann_fp', signature = NULL WHERE seq = $ann_seq"
expect_exit 4 "ann's event with its signature removed" member ann audit verify
expect_err_contains "is not signed"
force "UPDATE audit_event SET signature = decode('$ann_sig', 'hex') WHERE seq = $ann_seq"
expect_exit 0 "put back, the trail verifies" member ann audit verify

# --- revocation ----------------------------------------------------------------------------
expect_exit 0 "the owner revokes bob" owner access revoke bob
expect_exit 6 "bob can no longer act" member bob ls
check "his grant no longer carries the instance or the audit key" \
    test "$(psql_super "SELECT wrapped_instance_key IS NULL AND wrapped_audit_key IS NULL FROM member WHERE name = 'bob'")" = t
expect_exit 0 "the trail verifies after the revocation" member ann audit verify

# --- a member forging with the audit key, as a modified cairn could -------------------------
# Bob's grant carries the audit key (the owner's audit.key is the same key);
# he signs with his own key and chains correctly. With his own credential
# the event verifies (the forger is exact); in ann's name it does not.
ann_cred=$(psql_super "SELECT credential FROM audit_event WHERE credential LIKE 'member ann %' ORDER BY seq DESC LIMIT 1")
bob_cred=$(psql_super "SELECT credential FROM audit_event WHERE credential LIKE 'member bob %' ORDER BY seq DESC LIMIT 1")
forge() { python3 "$CAIRN_SOURCE_DIR/tests/pg/forge_event.py" "$T/owner/.cairn/audit.key" "$1" "$2" \
              -h 127.0.0.1 -p "$pg_port" -U "$3" -d "$db" > "$T/forged.seq"; }
expect_exit 0 "ann appends an event of her own, chained and signed outside cairn" forge "$T/ann.sign.pem" "$ann_cred" ann
expect_exit 0 "it verifies: the forger chains and signs as cairn does" member ann audit verify
expect_exit 0 "ann appends one in bob's name, signed with her key" forge "$T/ann.sign.pem" "$bob_cred" ann
expect_exit 4 "verify refuses it" member ann audit verify
expect_err_contains "a member wrote it in someone else's name"
check "at that seq" grep -q "seq $(cat "$T/forged.seq")" "$T/err"

finish
