#!/usr/bin/env bash
# bash, zsh and fish completions list exactly the commands, subcommands and
# long flags the binary has, and complete artifact keys from the instance.
source "$(dirname "$0")/lib.sh"
source "$CAIRN_SOURCE_DIR/tests/cli/help_lib.sh"
comp=$CAIRN_SOURCE_DIR/completions
bindir=$T/bin
mkdir -p "$bindir" && ln -s "$CAIRN_BIN" "$bindir/cairn"
export PATH=$bindir:$PATH

check "zsh syntax" zsh -n "$comp/_cairn"
check "fish syntax" fish -n "$comp/cairn.fish"
check "bash syntax" bash -n "$comp/cairn.bash"

# bash_complete WORD... : what _cairn offers for the last word
bash_complete() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _cairn
             printf "%s\n" "${COMPREPLY[@]}"' _ "$comp/cairn.bash" "$@" | sort -u
}
# The lists below come from --help: first make sure parsing it works.
check_help_parse
commands=$(help_subcommands)
paths=$(command_paths)
global_long=$(help_long_flags | grep -vx -- --version)

same_lists() { # same_lists DESCRIPTION WANT GOT
    if [ "$2" = "$3" ]; then pass; else fail "$1: want [$(echo $2)] got [$(echo $3)]"; fi
}

check "bash: 'cairn lo' completes to load" [ "$(bash_complete cairn lo)" = load ]
# Roles: every shell offers exactly the roles 'access grant --help' names.
roles="admin purger reader writer"
check "--help names the roles" bash -c "cairn() { \"\$CAIRN_BIN\" \"\$@\"; }; \"$CAIRN_BIN\" access grant --help | grep -q 'reader, writer, admin or purger'"
same_lists "bash: roles" "$(tr ' ' '\n' <<<"$roles")" "$(bash_complete cairn access grant --role '' | sort)"
check "zsh: roles" grep -qF "(reader writer admin purger)" "$CAIRN_SOURCE_DIR/completions/_cairn"
check "fish: roles" grep -qF -- "-a 'reader writer admin purger'" "$CAIRN_SOURCE_DIR/completions/cairn.fish"
same_lists "bash: commands" "$(sort <<<"$commands")" "$(bash_complete cairn '')"
n_with_subs=0
for c in $commands; do
    subs=$(help_subcommands "$c" | sort)
    if [ -n "$subs" ]; then
        same_lists "bash: subcommands of $c" "$subs" "$(bash_complete cairn "$c" '')"
        n_with_subs=$((n_with_subs + 1))
    fi
done
check "commands with subcommands were compared ($n_with_subs)" [ "$n_with_subs" -ge 5 ]
while read -r path; do
    # shellcheck disable=SC2086
    want=$( { help_long_flags $path; echo "$global_long"; } | sort -u)
    # shellcheck disable=SC2086
    same_lists "bash: flags of '$path'" "$want" "$(bash_complete cairn $path -- | grep -- '^--')"
done <<<"$paths"

# zsh and fish: every command, subcommand and long flag appears, and every
# long flag they mention exists.
# shellcheck disable=SC2086
all_long=$(while read -r path; do help_long_flags $path; done <<<"$paths"; echo "$global_long"; echo --version)
check "long flags parsed: --json, --key, --reason, --checkpoint among $(sort -u <<<"$all_long" | wc -l)" \
    bash -c 'for f in --json --key --reason --checkpoint; do grep -qx -- "$f" <<<"$1" || exit 1; done' _ "$all_long"
for script in _cairn cairn.fish; do
    f=$comp/$script
    for c in $commands; do
        check "$script: command $c" grep -qw -- "$c" "$f"
        for s in $(help_subcommands "$c"); do check "$script: $c $s" grep -qF -- "$s" "$f"; done
    done
    if [ "$script" = cairn.fish ]; then
        mentioned=$(grep '^ *complete ' "$f" | grep -o -- '-l [a-z][a-z0-9-]*' | sed 's/^-l /--/' | sort -u)
    else
        mentioned=$(grep -o -- "--[a-z][a-z0-9-]*" "$f" | sort -u)
    fi
    check "$script mentions flags ($(grep -c . <<<"$mentioned"))" [ "$(grep -c . <<<"$mentioned")" -ge 20 ]
    for flag in $(echo "$all_long" | sort -u); do
        check "$script: flag $flag" grep -qF -- "$(if [ "$script" = cairn.fish ]; then echo "-l ${flag#--}"; else echo "$flag"; fi)" "$f"
    done
    for flag in $mentioned; do
        check "$script mentions only real flags ($flag)" bash -c "echo \"$all_long\" | grep -qx -- '$flag'"
    done
done

# Artifact keys from a temporary instance.
cairn init proj >/dev/null 2>&1
cd proj
echo a > a.txt
cairn save a.txt --key exp/a.txt -q >/dev/null
cairn save a.txt --key exp/b.txt -q >/dev/null
cairn save a.txt --key data/x -q >/dev/null
count_events() { cairn audit --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
events_before=$(count_events)
check "bash: load completes keys" [ "$(bash_complete cairn load exp/ | tr '\n' ' ')" = "exp/a.txt exp/b.txt " ]
check "bash: purge request completes keys" bash -c "[ \"\$(cd / && $(declare -f bash_complete); comp=$comp bash_complete cairn --instance \"$PWD\" purge request da)\" = data/x ]"
check "bash: lineage completes keys" [ "$(bash_complete cairn lineage d)" = data/x ]
check "bash: save --from completes keys" [ "$(bash_complete cairn save --from exp/a)" = exp/a.txt ]
check "fish: load completes keys" [ "$(fish -c "source $comp/cairn.fish; complete -C 'cairn load exp/'" | tr '\n' ' ')" = "exp/a.txt exp/b.txt " ]
check "fish: 'cairn lo' completes to load" bash -c "fish -c \"source $comp/cairn.fish; complete -C 'cairn lo'\" | cut -f1 | grep -qx load"
check "__complete-keys prints keys only" [ "$(cairn __complete-keys | tr '\n' ' ')" = "data/x exp/a.txt exp/b.txt " ]
expect_exit 0 "cairn --help" cairn --help
check "--help lists load" grep -q '^  load ' "$T/out"
check_no_match "__complete-keys is hidden" -q complete "$T/out"
events_after=$(count_events)
# 'audit' itself logs one event.
check "completion writes no audit events" [ "$events_after" = $((events_before + 1)) ]
cd "$T"
check "completion outside an instance still completes commands" [ "$(bash_complete cairn lo)" = load ]
check "completion outside an instance, given --instance, completes keys" \
    [ "$(bash_complete cairn --instance "$T/proj" load e | tr '\n' ' ')" = "exp/a.txt exp/b.txt " ]
check "completion outside an instance prints nothing" [ -z "$(bash_complete cairn load e)" ]

finish
