#!/usr/bin/env python3
"""objcheck: look at a student's compiled file before it is linked with the tests.

A lab file is plain code that the tests call. It may define exactly the contract's
functions of its lab (a program file: `main`), it may need only ordinary C library and
socket functions (and the contract functions of earlier labs), and it may carry no code
that runs on its own: no constructors or destructors (.init_array, .fini_array, .ctors,
.dtors), no ifunc resolvers, no sections of the test framework, no raw system-call
instructions. Anything else is something no lab needs, and the file is refused with a
message that names it, so the student learns it from `make check` before the grader
refuses it.

For a library file that passes, `--renamed OUT` writes a copy whose contract symbols
(definitions and uses) are renamed student__NAME: the tests link that copy and reach the
student's functions only through their proxies (tests/common/labcall.h), which run each
call in a child process.

Usage: objcheck.py --lab N --kind library|program --header H [--header H ...]
                   [--renamed OUT.o] [--stamp FILE] OBJECT.o
Exit status 0 when the file passes, 1 with the reasons on stderr when it is refused,
2 for bad arguments.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# What a lab file may call: the C library's string, memory, number and formatting
# functions, the socket API, descriptors and polling, time, and (programs) signals,
# stdio and exit. Every symbol a correct solution could reasonably need; nothing that
# reaches another process, loads code, or calls the kernel directly.
COMMON_NEEDS = frozenset("""
    __errno_location __stack_chk_fail __assert_fail __ctype_b_loc __ctype_tolower_loc
    __ctype_toupper_loc _GLOBAL_OFFSET_TABLE_ __memcpy_chk __memset_chk __memmove_chk
    __snprintf_chk __vsnprintf_chk __strcpy_chk __strncpy_chk __strcat_chk
    __isoc99_sscanf __isoc23_strtol __isoc23_strtoul __isoc23_strtoll __isoc23_strtoull
    __isoc23_sscanf
    memset memcpy memmove memcmp memchr strlen strnlen strcmp strncmp strchr strrchr
    strspn strcspn strstr strcpy strncpy strcat strncat strdup strndup strtok_r
    strtol strtoul strtoll strtoull strtoimax strtoumax atoi atol atoll
    isdigit isspace isalpha isalnum isxdigit isprint toupper tolower
    snprintf vsnprintf sprintf sscanf strerror strerror_r
    malloc calloc realloc free reallocarray
    socket bind listen accept accept4 connect close shutdown setsockopt getsockopt
    getsockname getpeername send sendto sendmsg recv recvfrom recvmsg read write
    readv writev poll ppoll select pselect fcntl ioctl
    htons htonl ntohs ntohl inet_pton inet_ntop inet_aton inet_addr inet_ntoa
    getaddrinfo freeaddrinfo gai_strerror getnameinfo
    clock_gettime gettimeofday time nanosleep
""".split())

# Printing, signals and exit: what programs do, and what a student's library file may
# wrongly do (a debug print, an exit on error): the tests catch that, since each call
# runs in a child process where it can end nothing but itself.
OUTPUT_AND_EXIT = frozenset("""
    printf fprintf vfprintf vprintf dprintf puts fputs fputc putchar putc fwrite fflush
    ferror clearerr perror setvbuf setlinebuf stdout stderr stdin
    exit _exit abort atexit
    signal sigaction sigemptyset sigfillset sigaddset sigdelset sigismember sigprocmask
    pthread_sigmask sigsuspend raise alarm getpid
""".split())

# Sections an ordinary C file compiles into. Anything else (constructors,
# destructors, a framework's registration sections) is refused.
ALLOWED_SECTIONS = re.compile(
    r"^(\.text(\..*)?|\.data(\..*)?|\.bss(\..*)?|\.rodata(\..*)?|\.tdata|\.tbss|\.comment|"
    r"\.note\.GNU-stack|\.note\.gnu\.property|\.eh_frame|\.debug_[a-z_]+|"
    r"\.rela\.(text|data|rodata|eh_frame|debug_[a-z_]+)(\..*)?|\.group|"
    r"\.symtab|\.strtab|\.shstrtab|\.symtab_shndx)$")

RAW_SYSCALL = re.compile(r"\t(syscall|sysenter|int\s+\$0x80)\b")
PROTOTYPE = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*;")
NOT_FUNCTIONS = frozenset({"sizeof", "return", "if", "while", "for", "switch"})


@dataclass(frozen=True)
class Symbols:
    defined: dict[str, str]   # name -> nm type letter
    undefined: set[str]


def contract_functions(header: Path) -> list[str]:
    """The function names a lab header declares (its contract), in order."""
    text = header.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#[^\n]*(\\\n[^\n]*)*", " ", text, flags=re.M)
    names = []
    for match in PROTOTYPE.finditer(text):
        name = match.group(1)
        if name not in NOT_FUNCTIONS and name not in names:
            names.append(name)
    return names


def run(tool: str, *args: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise SystemExit(f"objcheck: {tool} is not installed (binutils). Run: make deps")
    done = subprocess.run([found, *args], capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        raise SystemExit(f"objcheck: {tool} {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def read_symbols(obj: Path) -> Symbols:
    defined: dict[str, str] = {}
    undefined: set[str] = set()
    for line in run("nm", "-g", "-P", str(obj)).splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind in ("U", "w", "v"):   # undefined, weak undefined
            undefined.add(name)
        else:
            defined[name] = kind
    return Symbols(defined, undefined)


def section_names(obj: Path) -> list[str]:
    names = []
    for line in run("readelf", "-S", "-W", str(obj)).splitlines():
        match = re.match(r"\s*\[\s*\d+\]\s+(\S+)", line)
        if match and match.group(1) != "NULL":
            names.append(match.group(1))
    return names


def problems(obj: Path, kind: str, own: list[str], earlier: list[str]) -> list[str]:
    """Everything in the object that no lab file needs, in words."""
    found = []
    symbols = read_symbols(obj)
    expected = ["main"] if kind == "program" else own
    for name, letter in sorted(symbols.defined.items()):
        if letter == "i":
            found.append(f"it defines {name} as an ifunc (code the loader runs before main)")
        elif name == "main" and kind != "program":
            found.append("it defines main: a lab's library file has no main (the tests "
                         "call its functions)")
        elif name not in expected:
            found.append(f"it defines {name} outside the file: only "
                         f"{', '.join(expected)} may be visible (make {name} static)")
    for name in expected:
        if name not in symbols.defined:
            found.append(f"it does not define {name}")
    allowed = COMMON_NEEDS | OUTPUT_AND_EXIT | set(earlier) | set(own)
    for name in sorted(symbols.undefined - allowed):
        found.append(f"it uses {name}, which no lab needs")
    for section in section_names(obj):
        if not ALLOWED_SECTIONS.match(section):
            found.append(f"it has a section {section} (code or data that runs or registers "
                         f"itself without being called: constructors, destructors, test hooks)")
    if RAW_SYSCALL.search(run("objdump", "-d", "--no-show-raw-insn", str(obj))):
        found.append("it makes a raw system call (a syscall instruction); call the C "
                     "library's functions instead")
    return found


def write_renamed(obj: Path, renamed: Path, names: list[str]) -> None:
    arguments = [f"--redefine-sym={name}=student__{name}" for name in names]
    run("objcopy", *arguments, str(obj), str(renamed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a student's object file before linking.")
    parser.add_argument("--lab", type=int, required=True)
    parser.add_argument("--kind", choices=("library", "program"), required=True)
    parser.add_argument("--header", type=Path, action="append", default=[],
                        help="labs/labK/labK.h for every lab K (its own lab included)")
    parser.add_argument("--source", default=None, help="the source file, for messages")
    parser.add_argument("--renamed", type=Path, help="write the renamed copy here")
    parser.add_argument("--stamp", type=Path, help="touch this file when the object passes")
    parser.add_argument("object", type=Path)
    args = parser.parse_args(argv)

    by_lab: dict[int, list[str]] = {}
    for header in args.header:
        match = re.search(r"lab(\d+)\.h$", header.name)
        if not match:
            parser.error(f"{header}: not a lab header (labN.h)")
        by_lab[int(match.group(1))] = contract_functions(header)
    if args.lab not in by_lab:
        parser.error(f"no --header for lab {args.lab}")
    own = by_lab[args.lab]
    earlier = [name for lab, names in by_lab.items() if lab < args.lab for name in names]

    found = problems(args.object, args.kind, own, earlier)
    if found:
        source = args.source or args.object.name
        print(f"objcheck: {source} was not linked with the tests: it does something no lab "
              f"needs.", file=sys.stderr)
        for reason in found:
            print(f"  - {reason}", file=sys.stderr)
        print("  A lab file holds the functions of its header (and static helpers); read: "
              "handouts/en/lab1.md section 5.1 (es: handouts/es/lab1.md section 5.1).",
              file=sys.stderr)
        return 1
    if args.renamed:
        everything = [name for names in by_lab.values() for name in names]
        write_renamed(args.object, args.renamed, everything)
    if args.stamp:
        args.stamp.write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
