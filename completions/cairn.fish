# fish completion for cairn. Commands, subcommands and flags mirror
# `cairn <command> --help` (tests/cli/test_completions.sh checks that they
# match). Artifact keys come from `cairn __complete-keys PREFIX`, which reads
# only the catalog: no key, no storage, no network, no audit event.

set -l commands init save load ls lineage audit purge run key access catalog connect

function __cairn_keys
    set -l tokens (commandline -opc)
    set -l inst
    set -l i (contains -i -- --instance $tokens)
    and set inst --instance $tokens[(math $i + 1)]
    command cairn $inst __complete-keys -- (commandline -ct) 2>/dev/null
end

# True when the command line so far is "cairn CMD [SUB]" with exactly these words
# (flags and their values aside).
function __cairn_at
    set -l words
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case --instance
                set skip 1
            case '-*'
            case '*'
                set -a words $t
        end
    end
    test "$words[1..2]" = "$argv"; and return 0
    test (count $argv) = 1; and test "$words[1]" = "$argv[1]"; and test (count $words) -le 1
end

complete -c cairn -f
# Global flags (accepted before or after the command).
complete -c cairn -l instance -r -a '(__fish_complete_directories)' -d 'Instance directory'
complete -c cairn -l json -d 'Machine-readable JSON on stdout'
complete -c cairn -s q -l quiet -d 'Nothing on stderr except errors'
complete -c cairn -l no-progress -d 'Never show progress'
complete -c cairn -s h -l help -d 'Print help and exit'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print the version'

complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a init -d 'Create an instance'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a save -d 'Store a file or folder as an artifact'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a load -d 'Fetch, verify and decrypt an artifact'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a ls -d 'List artifacts'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a lineage -d 'Where an artifact came from'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a audit -d 'The audit trail'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a purge -d 'Delete artifacts for good'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a run -d 'Track runs (lineage)'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a key -d 'Show, export and rotate the instance key'
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a access -d "Grant, list and revoke members' access"
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a catalog -d "Move the instance's catalog (to PostgreSQL)"
complete -c cairn -n "not __fish_seen_subcommand_from $commands" -a connect -d 'Set up this machine for an instance whose catalog is in PostgreSQL'

# init
complete -c cairn -n '__cairn_at init' -l storage -r -F -d 'Storage location'
complete -c cairn -n '__cairn_at init' -l catalog -r -d 'Keep the catalog in PostgreSQL (postgresql://...)'
complete -c cairn -n '__cairn_at init' -l allow-plain-catalog -d 'Weaker sslmode to a PostgreSQL server on this machine'
complete -c cairn -n '__cairn_at init' -l name -r -d 'Instance name'
complete -c cairn -n '__cairn_at init' -l endpoint -r -d 'S3-compatible endpoint URL'
complete -c cairn -n '__cairn_at init' -l region -r -d 'Storage region'
complete -c cairn -n '__cairn_at init' -l addressing -x -a 'path virtual' -d 'S3 addressing style'
complete -c cairn -n '__cairn_at init' -l allow-http -d 'Plain http to a loopback endpoint'
complete -c cairn -n '__cairn_at init' -l key-file -r -F -d 'Where to create the instance key'
complete -c cairn -n '__cairn_at init' -l passphrase -d 'Protect the key file with $CAIRN_PASSPHRASE_FILE'
complete -c cairn -n '__cairn_at init' -l allow-unsafe-storage -d 'Accept storage that may keep deleted data'
complete -c cairn -n '__cairn_at init' -l replace-instance -d 'Replace an instance this host recorded (removed on purpose)'
complete -c cairn -n '__cairn_at init' -a '(__fish_complete_directories)'
# save
complete -c cairn -n '__cairn_at save' -s k -l key -x -a '(__cairn_keys)' -d 'Artifact key'
complete -c cairn -n '__cairn_at save' -s d -l description -x -d 'Free-text description'
complete -c cairn -n '__cairn_at save' -l from -x -a '(__cairn_keys)' -d 'Input it was derived from'
complete -c cairn -n '__cairn_at save' -l sha256 -d 'Also compute the plain SHA-256'
complete -c cairn -n '__cairn_at save' -F
# load
complete -c cairn -n '__cairn_at load' -s o -l output -r -F -d 'Write to PATH, or - for stdout'
complete -c cairn -n '__cairn_at load' -s f -l force -d 'Overwrite an existing output file'
complete -c cairn -n '__cairn_at load' -l range -x -d 'Only bytes A-B, inclusive, verified'
complete -c cairn -n '__cairn_at load' -a '(__cairn_keys)'
# ls
complete -c cairn -n '__cairn_at ls' -s a -l all-versions -d 'Show every version'
complete -c cairn -n '__cairn_at ls' -a '(__cairn_keys)'
# lineage
complete -c cairn -n '__cairn_at lineage' -l up -d 'Ancestors'
complete -c cairn -n '__cairn_at lineage' -l down -d 'Descendants'
complete -c cairn -n '__cairn_at lineage' -l both -d 'Ancestors and descendants'
complete -c cairn -n '__cairn_at lineage' -s d -l depth -x -d 'At most N levels'
complete -c cairn -n '__cairn_at lineage' -s f -l format -x -a 'text dot mermaid json' -d 'Output format'
complete -c cairn -n '__cairn_at lineage' -a '(__cairn_keys)'
# audit
complete -c cairn -n '__cairn_at audit' -a 'export verify checkpoint prune public-key inventory'
for sub in audit 'audit export'
    complete -c cairn -n "__cairn_at $sub" -l since -x -d 'Events at or after T'
    complete -c cairn -n "__cairn_at $sub" -l until -x -d 'Events before T'
    complete -c cairn -n "__cairn_at $sub" -l actor -x -d 'Events by this identity or OS user'
    complete -c cairn -n "__cairn_at $sub" -l action -x -d 'Events with this action'
    complete -c cairn -n "__cairn_at $sub" -l artifact -x -d 'Events that touched this artifact uid'
    complete -c cairn -n "__cairn_at $sub" -l result -x -a 'ok denied error' -d 'Events with this result'
    complete -c cairn -n "__cairn_at $sub" -l limit -x -d 'Only the newest N events'
end
complete -c cairn -n '__cairn_at audit export' -s o -l output -r -F -d 'File to write'
complete -c cairn -n '__cairn_at audit verify' -l checkpoint -r -F -d 'Also check against a checkpoint'
complete -c cairn -n '__cairn_at audit verify' -l no-storage -d 'Read no published checkpoints'
complete -c cairn -n '__cairn_at audit checkpoint' -s o -l output -r -F -d 'File to write'
complete -c cairn -n '__cairn_at audit prune' -l before -x -d 'Prune events before DATE'
complete -c cairn -n '__cairn_at audit prune' -l dry-run -d 'Print what would be pruned and stop'
# purge
complete -c cairn -n '__cairn_at purge' -a 'request cancel status run'
complete -c cairn -n '__cairn_at purge request' -l reason -x -d 'Why'
complete -c cairn -n '__cairn_at purge request' -l with-descendants -d 'Also delete derived artifacts'
complete -c cairn -n '__cairn_at purge request' -l grace -x -d 'Undo window'
complete -c cairn -n '__cairn_at purge request' -a '(__cairn_keys)'
complete -c cairn -n '__cairn_at purge status' -l probe -d 'Probe storage now'
complete -c cairn -n '__cairn_at purge run' -s n -l dry-run -d 'Print the plan and change nothing'
# run
complete -c cairn -n '__cairn_at run' -a 'start finish exec show ls'
for sub in 'run start' 'run exec'
    complete -c cairn -n "__cairn_at $sub" -s t -l transform -r -F -d 'Script, pipeline or command'
    complete -c cairn -n "__cairn_at $sub" -l kind -x -a 'script notebook pipeline command' -d 'Transform kind'
    complete -c cairn -n "__cairn_at $sub" -s p -l param -x -d 'Run parameter NAME=VALUE'
end
complete -c cairn -n '__cairn_at run start' -l export -l shell -d "Print 'export CAIRN_RUN=<uid>'"
complete -c cairn -n '__cairn_at run start' -l pid -x -d 'Process that owns the run'
complete -c cairn -n '__cairn_at run finish' -s s -l status -x -d 'Exit status to record'
complete -c cairn -n '__cairn_at run ls' -l transform -x -d 'Transform key prefix'
complete -c cairn -n '__cairn_at run ls' -s n -l limit -x -d 'At most N runs'
# key
complete -c cairn -n '__cairn_at key' -a 'show export export-write-only rotate'
complete -c cairn -n '__cairn_at key export-write-only' -F
complete -c cairn -n '__cairn_at key export' -F
complete -c cairn -n '__cairn_at key export' -l passphrase -d 'Seal with $CAIRN_PASSPHRASE_FILE'
# access
complete -c cairn -n '__cairn_at access' -a 'grant ls revoke'
complete -c cairn -n '__cairn_at access grant' -l public-key -r -F -d "The member's PEM public key"
complete -c cairn -n '__cairn_at access grant' -l role -x -a 'reader writer admin purger' -d 'Role'
complete -c cairn -n '__cairn_at access grant' -l db-login -x -d 'PostgreSQL login to join the role'
complete -c cairn -n '__cairn_at access grant' -l signing-key -r -F -d 'Ed25519 public key that signs their events'
complete -c cairn -n '__cairn_at access ls' -s a -l all -d 'Include revoked members'

# catalog
complete -c cairn -n '__cairn_at catalog' -a 'migrate'
complete -c cairn -n '__cairn_at catalog migrate' -l to -x -d 'postgresql://[USER@]HOST[:PORT]/DB'
complete -c cairn -n '__cairn_at catalog migrate' -l allow-plain-catalog -d 'Weaker sslmode to a PostgreSQL server on this machine'

# connect
complete -c cairn -n '__cairn_at connect' -l dir -r -a '(__fish_complete_directories)' -d 'Directory to create .cairn/ in'
complete -c cairn -n '__cairn_at connect' -l audit-key-fingerprint -x -d 'Refuse unless the audit key has this fingerprint'
complete -c cairn -n '__cairn_at connect' -l allow-plain-catalog -d 'Weaker sslmode to a PostgreSQL server on this machine'
complete -c cairn -n '__cairn_at connect' -l endpoint -r -d 'S3-compatible endpoint URL'
complete -c cairn -n '__cairn_at connect' -l region -r -d 'Storage region'
complete -c cairn -n '__cairn_at connect' -l addressing -x -a 'path virtual' -d 'S3 addressing style'
complete -c cairn -n '__cairn_at connect' -l allow-http -d 'Plain http to a loopback endpoint'
