#!/usr/bin/env bash
# make deps: install what the kit needs with the system's package manager.
# Does nothing when everything is present; uses sudo only when not root.
set -euo pipefail

missing() {
    command -v cc >/dev/null && command -v make >/dev/null && command -v python3 >/dev/null &&
        command -v valgrind >/dev/null && command -v pkg-config >/dev/null &&
        pkg-config --exists criterion && command -v bwrap >/dev/null &&
        command -v nc >/dev/null && command -v socat >/dev/null && command -v ip >/dev/null &&
        command -v prlimit >/dev/null && command -v setpriv >/dev/null && command -v objcopy >/dev/null &&
        command -v strace >/dev/null &&
        [ -e /usr/include/valgrind/memcheck.h ] && return 1
    return 0
}

if ! missing; then
    echo "deps: everything is installed (gcc, make, Criterion, Valgrind, Python 3, bubblewrap, nc, socat, strace)."
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        echo "deps: not root and no sudo: ask an administrator to install the packages below." >&2
        as_root=(false)
    else
        as_root=(sudo)
    fi
fi

if command -v apt-get >/dev/null; then
    packages=(build-essential pkg-config libcriterion-dev valgrind python3 bubblewrap
              netcat-openbsd socat iproute2 util-linux procps binutils strace)
    echo "deps: installing with apt-get: ${packages[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${packages[@]}"
elif command -v dnf >/dev/null; then
    packages=(gcc make pkgconf-pkg-config criterion-devel valgrind valgrind-devel python3 bubblewrap
              nmap-ncat socat iproute util-linux procps-ng binutils strace)
    echo "deps: installing with dnf: ${packages[*]}"
    "${as_root[@]}" dnf install -y "${packages[@]}"
else
    echo "deps: this system has neither apt-get nor dnf. Install by hand: a C compiler, make," >&2
    echo "      pkg-config, Criterion (libcriterion-dev), Valgrind, Python 3, bubblewrap, nc, socat." >&2
    exit 2
fi

if missing; then
    echo "deps: something is still missing after the install (see above)." >&2
    exit 1
fi
echo "deps: done."
