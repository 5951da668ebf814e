#!/usr/bin/env bash
# Whatever the umask, everything cairn creates is private: directories 0700
# (the project's instance directory excepted: 0755 so a team can find it),
# key files, caches, working copies, loaded files and storage objects 0600
# or 0644 for the public audit key. Under umask 000 a missing parent of the
# cache or key folder used to be made 0777.
source "$(dirname "$0")/lib.sh"

for mask in 000 022 077; do
    export HOME=$T/home-$mask XDG_CACHE_HOME=$T/home-$mask/.cache XDG_CONFIG_HOME=$T/home-$mask/.config
    (
        umask "$mask"
        cairn init "$T/p-$mask" >/dev/null
        cd "$T/p-$mask"
        echo hi > f && mkdir d && echo x > d/y
        cairn save f --key a/f >/dev/null 2>&1
        cairn save d --key a/d >/dev/null 2>&1
        cairn load a/f >/dev/null && cairn load a/d >/dev/null
        cairn load a/f -o out.txt && cairn load a/d -o out-d
    ) >/dev/null
    check "umask $mask: the commands ran" [ -f "$T/p-$mask/out.txt" ]
    # Everything cairn made: the instance, the caches, the key folder, outputs.
    made=$(find "$T/p-$mask/.cairn" "$T/p-$mask/out.txt" "$T/p-$mask/out-d" "$HOME" -printf '%m %y %p\n')
    check "umask $mask: found what cairn made ($(grep -c . <<<"$made") paths)" [ "$(grep -c . <<<"$made")" -gt 15 ]
    bad=$(grep -v -E '^700 d |^600 f |^644 f .*/audit-sign\.pub$|^755 d .*/\.cairn$' <<<"$made" || true)
    check "umask $mask: every directory 0700, every file 0600: ${bad:-none}" [ -z "$bad" ]
done

# A key folder others can write is refused: they could swap the key file.
export HOME=$T/home-000 XDG_CACHE_HOME=$T/home-000/.cache XDG_CONFIG_HOME=$T/home-000/.config
cd "$T/p-000"
keys=$XDG_CONFIG_HOME/cairn/keys
chmod 777 "$keys"
expect_exit 6 "load with a world-writable key folder" cairn load a/f -o -
expect_err_contains "is writable by other users"
check_not "the key is not printed" grep -q "$(grep instance-key "$keys"/*.key | cut -d' ' -f2)" "$T/err"
chmod 1777 "$keys"
expect_exit 0 "a sticky key folder is accepted" cairn load a/f -o -
chmod 700 "$keys"
expect_exit 0 "load after chmod 700" cairn load a/f -o -
finish
