# Reads the command tree from the binary's own --help, so docs and completion
# tests compare against what cairn really accepts. Source after lib.sh.

# help_subcommands [CMD...] : subcommand names listed by `cairn CMD... --help`
help_subcommands() {
    "$CAIRN_BIN" "$@" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on && !/^  / { on = 0 }'
}

# help_long_flags [CMD...] : long flags in the Options section of `cairn CMD... --help`
help_long_flags() {
    "$CAIRN_BIN" "$@" --help | awk '/^Options:/ { on = 1; next } on && /^  -/ { print $1; next } on && !/^  / { on = 0 }' |
        tr ',' '\n' | grep -- '^--' | sort -u
}

# command_paths : "cmd" and "cmd sub" for every command and subcommand
command_paths() {
    local c s
    for c in $(help_subcommands); do
        echo "$c"
        for s in $(help_subcommands "$c"); do echo "$c $s"; done
    done
}

# check_help_parse : the parsed lists hold what cairn surely has, so a parse
# that yields nothing (a changed --help layout, a cairn that fails) fails the
# test instead of turning every loop over these lists into zero checks.
check_help_parse() {
    local cmds paths c
    cmds=$(help_subcommands) || { fail "cairn --help failed"; return 0; }
    check "--help lists 10 or more commands (got $(echo $cmds))" [ "$(grep -c . <<<"$cmds")" -ge 10 ]
    for c in init save load ls lineage audit purge run key access; do
        check "--help lists command $c" grep -qx -- "$c" <<<"$cmds"
    done
    check "purge --help lists request, cancel, status, run" \
        [ "$(help_subcommands purge | tr '\n' ' ')" = "request cancel status run " ]
    check "audit --help lists verify" grep -qx verify <<<"$(help_subcommands audit)"
    check "run --help lists exec" grep -qx exec <<<"$(help_subcommands run)"
    check "save --help has no subcommands" [ -z "$(help_subcommands save)" ]
    check "global flags include --json and --instance" \
        bash -c 'grep -qx -- --json <<<"$1" && grep -qx -- --instance <<<"$1"' _ "$(help_long_flags)"
    check "save flags include --key" grep -qx -- --key <<<"$(help_long_flags save)"
    check "purge request flags include --reason" grep -qx -- --reason <<<"$(help_long_flags purge request)"
    paths=$(command_paths) || { fail "command_paths failed"; return 0; }
    check "25 or more command paths (got $(grep -c . <<<"$paths"))" [ "$(grep -c . <<<"$paths")" -ge 25 ]
    check "command paths include 'audit verify'" grep -qx 'audit verify' <<<"$paths"
}
