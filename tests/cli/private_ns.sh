# Sourced first (before lib.sh) by tests that mount a filesystem of their
# own: re-runs the test once in a private mount namespace (unshare -m), so
# nothing outside it sees the mount. CI runs as root; elsewhere a user
# namespace (unshare -rm) gives the same.
if [ -z "${CAIRN_PRIVATE_NS:-}" ]; then
    if [ "$(id -u)" = 0 ]; then exec unshare -m env CAIRN_PRIVATE_NS=1 bash "$0" "$@"; fi
    exec unshare -rm env CAIRN_PRIVATE_NS=1 bash "$0" "$@"
fi
