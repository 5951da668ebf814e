#!/usr/bin/env bash
# `cpack -G DEB` makes a .deb of the binary, the man pages and the shell
# completions (issue 15 item 2). It is installed with dpkg into a scratch
# root (its own dpkg database: the system is not touched), then the
# installed binary runs, man finds its pages, and each shell loads its
# completion from where the package put it.
source "$(dirname "$0")/lib.sh"

build=$(dirname "$CAIRN_BIN")
check "the build directory has a CPack configuration" [ -f "$build/CPackConfig.cmake" ]
# The package's version is the project's; the binary says the same.
version=$("$CAIRN_BIN" --version | awk '{print $2}')
check "cairn --version names a version ($version)" [ -n "$version" ]

expect_exit 0 "cpack -G DEB" bash -c "cd '$build' && cpack -G DEB -B '$T/pkg'"
deb=$(find "$T/pkg" -maxdepth 1 -name "cairn_${version}_*.deb" | head -1)
check "a .deb named for the version was written (got: $(ls "$T/pkg"))" [ -n "$deb" ]

# Its control data: name, version, runtime dependencies.
dpkg-deb -f "$deb" Package Version Depends Recommends > "$T/control"
check "Package: cairn" grep -qx 'Package: cairn' "$T/control"
check "Version: $version" grep -qx "Version: $version" "$T/control"
for lib in libssl3 libsqlite3-0 libyaml-cpp0.7 libutf8proc2; do
    check "depends on $lib" grep -q "^Depends:.*$lib" "$T/control"
done
check "recommends libcurl4 (remote storage)" grep -q '^Recommends: libcurl4' "$T/control"
# Every library the binary links comes from a package it depends on (or
# from libc6/libgcc-s1/libstdc++6, which it also lists).
for lib in $(ldd "$CAIRN_BIN" | awk '$3 ~ /^\// {print $3}'); do
    case "$lib" in */libasan*|*/libubsan*) continue ;; esac # the sanitizer build's runtime
    pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)
    pkg=${pkg%%:*}
    check "the package depends on $pkg, which provides $(basename "$lib")" grep -q "^Depends:.*\\b$pkg\\b" "$T/control"
done

# Install into a scratch root with its own, empty dpkg database.
root=$T/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: > "$root/var/lib/dpkg/status"
expect_exit 0 "dpkg --root installs the package" \
    dpkg --root="$root" --force-depends --force-not-root --log=/dev/null -i "$deb"
check "dpkg's database in the scratch root lists it" bash -c "dpkg --root='$root' -s cairn | grep -q '^Status: install ok installed'"
check "nothing was installed on the system itself" bash -c "! dpkg -s cairn >/dev/null 2>&1"

expect_exit 0 "the installed cairn runs" "$root/usr/bin/cairn" --version
check "and names the version" grep -qx "cairn $version" "$T/out"
for page in cairn cairn-init cairn-save cairn-load cairn-lineage cairn-audit cairn-purge cairn-ls cairn-run cairn-key cairn-access; do
    check "man finds $page(1) in the package" bash -c "man -M '$root/usr/share/man' -w $page | grep -qx '$root/usr/share/man/man1/$page.1'"
done
check "man renders cairn(1)" bash -c "MANPAGER=cat man -M '$root/usr/share/man' cairn 2>/dev/null | grep -q 'EXIT STATUS'"

# Each shell loads the completion from the package's location.
bash_comp=$root/usr/share/bash-completion/completions/cairn
zsh_comp=$root/usr/share/zsh/vendor-completions/_cairn
fish_comp=$root/usr/share/fish/vendor_completions.d/cairn.fish
check "bash: the completion is installed" [ -f "$bash_comp" ]
check "bash: it registers a completion for cairn" \
    bash -c "source '$bash_comp' && complete -p cairn | grep -q -- '-F _cairn'"
check "bash: it completes 'cairn lo' to load" bash -c "PATH='$root/usr/bin':\$PATH; source '$bash_comp'
    COMP_WORDS=(cairn lo); COMP_CWORD=1; _cairn; [ \"\${COMPREPLY[*]}\" = load ]"
check "zsh: the completion loads from the package's vendor-completions" \
    zsh -c "fpath=('$root/usr/share/zsh/vendor-completions' \$fpath); autoload -Uz compinit; compinit -u -d '$T/zcompdump'; [[ \${_comps[cairn]} == _cairn ]]"
check "fish: the completion loads and offers load" \
    fish -c "set PATH '$root/usr/bin' \$PATH; source '$fish_comp'; complete -C'cairn lo' | string match -q -r '^load'"
finish
