#!/usr/bin/env bash
# make deps: install what the kit needs with the system's package manager.
# Does nothing when everything is present; uses sudo only when not root.
set -euo pipefail

# The tools the handouts use: nc and ss (labs 3-7), strace (labs 1-6), gdb (5.1 of every lab),
# tcpdump (labs 4 and 7, and make trace).
HANDOUT_TOOLS=(nc ss strace gdb tcpdump)
# The checkers of make lint (gcc -fanalyzer comes with the compiler; pyflakes3 is Debian's name).
LINT_TOOLS=(shellcheck mypy)

# True when the program is on PATH or in an sbin directory (tcpdump, ss and ip live there on
# some systems, outside a normal user's PATH).
have() {
    command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing() {
    local tool
    for tool in cc make python3 valgrind pkg-config bwrap socat ip prlimit setpriv objcopy \
        "${HANDOUT_TOOLS[@]}" "${LINT_TOOLS[@]}"; do
        have "$tool" || return 0
    done
    have pyflakes3 || have pyflakes || return 0
    pkg-config --exists criterion && [ -e /usr/include/valgrind/memcheck.h ] && return 1
    return 0
}

if ! missing; then
    echo "deps: everything is installed (gcc, make, Criterion, Valgrind, Python 3, bubblewrap, socat;"
    echo "      the handouts' tools: ${HANDOUT_TOOLS[*]}; make lint's: ${LINT_TOOLS[*]} pyflakes)."
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
              netcat-openbsd socat iproute2 util-linux procps binutils strace gdb tcpdump
              shellcheck pyflakes3 mypy)
    echo "deps: installing with apt-get: ${packages[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${packages[@]}"
elif command -v dnf >/dev/null; then
    packages=(gcc make pkgconf-pkg-config criterion-devel valgrind valgrind-devel python3 bubblewrap
              nmap-ncat socat iproute util-linux procps-ng binutils strace gdb tcpdump
              ShellCheck python3-pyflakes python3-mypy)
    echo "deps: installing with dnf: ${packages[*]}"
    "${as_root[@]}" dnf install -y "${packages[@]}"
else
    echo "deps: this system has neither apt-get nor dnf. Install by hand: a C compiler, make," >&2
    echo "      pkg-config, Criterion (libcriterion-dev), Valgrind, Python 3, bubblewrap, socat;" >&2
    echo "      the handouts' tools: ${HANDOUT_TOOLS[*]}, and make lint's: ${LINT_TOOLS[*]} pyflakes." >&2
    exit 2
fi

if missing; then
    echo "deps: something is still missing after the install (see above)." >&2
    exit 1
fi
echo "deps: done."
