#!/usr/bin/env bash
# Man pages lint clean and document every command and flag; every --help has
# an example; mistyped commands get a suggestion.
source "$(dirname "$0")/lib.sh"
source "$CAIRN_SOURCE_DIR/tests/cli/help_lib.sh"
man=$CAIRN_SOURCE_DIR/man

# The lists below come from --help: first make sure parsing it works.
check_help_parse
commands=$(help_subcommands)
paths=$(command_paths)
global_flags=$(help_long_flags)

pages=$(find "$man" -maxdepth 1 -name '*.1' | sort)
check "a man page per command and cairn.1 ($(grep -c . <<<"$pages") pages)" \
    [ "$(grep -c . <<<"$pages")" -ge $(($(grep -c . <<<"$commands") + 1)) ]
for page in $pages; do
    # mandoc exits non-zero on warnings and prints them; either fails the page.
    rc=0; out=$(mandoc -T lint -W warning "$page" 2>&1) || rc=$?
    if [ -z "$out" ] && [ "$rc" = 0 ]; then pass; else fail "mandoc lint $(basename "$page") (exit $rc): $out"; fi
done

# roff escapes '-' as '\-'; compare against the page's source.
page_has_flag() { grep -qF -- "$(printf '%s' "$2" | sed 's/-/\\-/g')" "$1"; }

for flag in $global_flags; do
    check "cairn.1 documents global $flag" page_has_flag "$man/cairn.1" "$flag"
done
n_flags=0 n_subs=0
for c in $commands; do
    page=$man/cairn-$c.1
    check "man page for $c" [ -f "$page" ]
    check "cairn.1 lists $c" grep -qF "cairn\\-$c" "$man/cairn.1"
    [ -f "$page" ] || continue
    for sec in SYNOPSIS DESCRIPTION EXAMPLES "EXIT STATUS"; do
        check "cairn-$c.1 has $sec" grep -q "^\.SH \"\?$sec" "$page"
    done
    for flag in $(help_long_flags "$c"); do
        check "cairn-$c.1 documents $flag" page_has_flag "$page" "$flag"
        n_flags=$((n_flags + 1))
    done
    for s in $(help_subcommands "$c"); do
        check "cairn-$c.1 documents subcommand $s" grep -qE "^\.B $(printf '%s' "$s" | sed 's/-/\\\\\\\\-/g')\$|^\.B cairn $c $s" "$page"
        n_subs=$((n_subs + 1))
        for flag in $(help_long_flags "$c" "$s"); do
            check "cairn-$c.1 documents $s $flag" page_has_flag "$page" "$flag"
            n_flags=$((n_flags + 1))
        done
    done
done
# Guards against loops that ran over nothing.
check "command flags were checked ($n_flags)" [ "$n_flags" -ge 40 ]
check "subcommands were checked ($n_subs)" [ "$n_subs" -ge 20 ]
for section in ENVIRONMENT FILES "EXIT STATUS"; do check "cairn.1 has $section" grep -q "^\.SH $section" "$man/cairn.1"; done
for var in CAIRN_INSTANCE CAIRN_KEY_FILE CAIRN_PASSPHRASE_FILE CAIRN_IDENTITY CAIRN_RUN AWS_ENDPOINT_URL_S3 \
    AWS_ENDPOINT_URL AWS_PROFILE AWS_CA_BUNDLE CAIRN_STORAGE_TIMEOUT XDG_CACHE_HOME XDG_CONFIG_HOME NO_COLOR; do
    check "cairn.1 documents $var" grep -qF "$var" "$man/cairn.1"
done
for code in 0 1 2 3 4 5 6 7 8 9; do check "cairn.1 documents exit $code" grep -qx ".B $code" "$man/cairn.1"; done

# Every command's --help ends with an example.
while read -r path; do
    # shellcheck disable=SC2086
    expect_exit 0 "cairn $path --help" "$CAIRN_BIN" $path --help
    check "'cairn $path --help' has an example" grep -q '^Examples\?:' "$T/out"
done <<<"$paths"

# "Did you mean" for mistyped commands and subcommands.
expect_exit 2 "mistyped command" cairn lod
expect_err_contains "cairn: error: unknown command 'lod'; did you mean 'load'?"
expect_exit 2 "mistyped subcommand" cairn purge stauts
expect_err_contains "did you mean 'status'?"
expect_exit 2 "mistyped command after a global option" cairn --instance nowhere lineag x
expect_err_contains "did you mean 'lineage'?"
expect_exit 2 "unrelated word gets no suggestion" cairn xyzzy
expect_err_contains "unknown command 'xyzzy'"
check_no_match "no suggestion for xyzzy" -q 'did you mean' "$T/err"
# Piped stderr has no colour codes.
check_no_match "no colour when not a TTY" -q $'\033' "$T/err"

finish
