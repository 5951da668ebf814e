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
