# bash completion for cairn.                                -*- shell-script -*-
# Commands, subcommands and flags mirror `cairn <command> --help`
# (tests/cli/test_completions.sh checks that they match). Artifact keys come
# from `cairn __complete-keys PREFIX`, which reads only the catalog: no key,
# no storage, no network, no audit event.

_cairn_subcommands() {
    case $1 in
        audit) echo "export verify checkpoint prune public-key inventory" ;;
        purge) echo "request cancel status run" ;;
        run) echo "start finish exec show ls" ;;
        key) echo "show export export-write-only rotate" ;;
        access) echo "grant ls revoke" ;;
        catalog) echo "migrate" ;;
    esac
}

_cairn_flags() {
    local filters="--since --until --actor --action --artifact --result --limit"
    case $1 in
        init) echo "--storage --catalog --allow-plain-catalog --name --endpoint --region --addressing --allow-http --key-file --passphrase --allow-unsafe-storage --replace-instance" ;;
        save) echo "-k --key -d --description --from --sha256" ;;
        load) echo "-o --output -f --force --range" ;;
        ls) echo "-a --all-versions" ;;
        lineage) echo "--up --down --both -d --depth -f --format" ;;
        audit) echo "$filters" ;;
        "audit export") echo "-o --output $filters" ;;
        "audit verify") echo "--checkpoint --no-storage" ;;
        "audit checkpoint") echo "-o --output" ;;
        "audit prune") echo "--before --dry-run" ;;
        "purge request") echo "--reason --with-descendants --grace" ;;
        "purge status") echo "--probe" ;;
        "purge run") echo "-n --dry-run" ;;
        "run start") echo "-t --transform --kind -p --param --export --shell --pid" ;;
        "run finish") echo "-s --status" ;;
        "run exec") echo "-t --transform --kind -p --param" ;;
        "run ls") echo "--transform -n --limit" ;;
        "key export") echo "--passphrase" ;;
        "access grant") echo "--public-key --role --db-login --signing-key" ;;
        "access ls") echo "-a --all" ;;
        "catalog migrate") echo "--to --allow-plain-catalog" ;;
        connect) echo "--dir --audit-key-fingerprint --allow-plain-catalog --endpoint --region --addressing --allow-http" ;;
    esac
}

# Keys starting with $1 from the instance named on the command line, if any.
_cairn_keys() {
    local i inst=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --instance) inst=(--instance "${COMP_WORDS[i + 1]}") ;;
            --instance=*) inst=("${COMP_WORDS[i]}") ;;
        esac
    done
    "${COMP_WORDS[0]}" "${inst[@]}" __complete-keys -- "$1" 2>/dev/null
}

_cairn() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local global="--instance --json -q --quiet --no-progress -h --help"
    local cmd= sub= i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --) break ;;
            --instance | -k | --key | -d | --description | --from | -o | --output | --storage | --name | \
                --endpoint | --region | --addressing | --key-file | --depth | -f | --format | --since | \
                --until | --actor | --action | --artifact | --result | --limit | --checkpoint | --before | \
                --reason | --grace | -t | --transform | --kind | -p | --param | --pid | -s | --status | \
                -n | --public-key | --role | --signing-key | --db-login | --dir | --audit-key-fingerprint | --to)
                # -f and -n are value-less in some commands; a skipped word only costs a completion.
                [[ $w == -f && $cmd != lineage ]] || [[ $w == -n && $cmd != run ]] || ((i++))
                continue ;;
            -*) continue ;;
        esac
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub && " $(_cairn_subcommands "$cmd") " == *" $w "* ]]; then
            sub=$w
        fi
    done

    case $prev in
        --instance | --dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        -o | --output | --key-file | --public-key | --signing-key | --checkpoint | --storage)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --format | -f) [[ $cmd == lineage ]] && { COMPREPLY=($(compgen -W "text dot mermaid json" -- "$cur")); return; } ;;
        --addressing) COMPREPLY=($(compgen -W "path virtual" -- "$cur")); return ;;
        --result) COMPREPLY=($(compgen -W "ok denied error" -- "$cur")); return ;;
        --role) COMPREPLY=($(compgen -W "reader writer admin purger" -- "$cur")); return ;;
        --kind) COMPREPLY=($(compgen -W "script notebook pipeline command" -- "$cur")); return ;;
        --from) COMPREPLY=($(compgen -W "$(_cairn_keys "$cur")" -- "$cur")); return ;;
        -k | --key | -d | --description | --name | --endpoint | --region | --depth | --since | --until | \
            --actor | --action | --artifact | --limit | --before | --reason | --grace | -t | --transform | \
            -p | --param | --pid | -s | --status | --db-login | --audit-key-fingerprint | --to)
            return ;;
    esac

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "init save load ls lineage audit purge run key access catalog connect" -- "$cur"))
        fi
        return
    fi
    local subs
    subs=$(_cairn_subcommands "$cmd")
    if [[ -n $subs && -z $sub && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_cairn_flags "$cmd${sub:+ $sub}") $global" -- "$cur"))
        return
    fi
    case "$cmd${sub:+ $sub}" in
        load | lineage | "purge request") COMPREPLY=($(compgen -W "$(_cairn_keys "$cur")" -- "$cur")) ;;
        save | init | "key export" | "key export-write-only" | "run exec") COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}

complete -F _cairn cairn
