"""Running untrusted code: an unprivileged uid, resource limits, namespaces when possible.

Modes, best first (chosen once by probing the machine):
  bwrap   bubblewrap: private network (loopback only), PID, IPC and UTS namespaces, so
          nothing the submission starts outlives its run; a filesystem view holding only
          the system folders (read-only), a small private /tmp and the folders the caller
          names (the kit copy read-only, the build folder writable). solutions/ and the
          rest of the machine are not visible.
  limits  no namespaces (bubblewrap missing or not allowed, as in many containers): the
          limits and the unprivileged uid alone. The report says so.
In both, when the grader runs as root, the code runs as a uid of its own (one per
concurrent run, so the process limit is really per run) and every process of that uid is
killed after the run; limits come from prlimit: CPU seconds, address space, file size,
processes, open files, plus a wall-clock deadline and a cap on the output kept.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

MIB = 1 << 20
UID_BASE = 61000
UID_SLOTS = 512
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    """What one sandboxed command may use."""

    wall_seconds: float = 120
    cpu_seconds: int = 20
    address_space: int = 512 * MIB
    file_size: int = 16 * MIB
    processes: int = 96
    open_files: int = 256
    output_bytes: int = 64 * 1024

    def scaled(self, factor: float) -> "Limits":
        return replace(self, wall_seconds=self.wall_seconds * factor)


@dataclass
class RunResult:
    """How a sandboxed command ended, and the start of what it printed."""

    returncode: int | None
    output: bytes
    truncated: bool
    timed_out: bool
    seconds: float


class UidSlot:
    """An unused uid for one run, held (across processes too) through an abstract socket."""

    def __init__(self) -> None:
        self.uid: int | None = None
        self._lock: socket.socket | None = None

    def __enter__(self) -> "UidSlot":
        if os.geteuid() != 0:
            return self
        for uid in range(UID_BASE, UID_BASE + UID_SLOTS):
            lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                lock.bind(f"\0socketlab-grader-uid-{uid}")
            except OSError:
                lock.close()
                continue
            self.uid, self._lock = uid, lock
            return self
        raise RuntimeError("no free uid for the sandbox (too many gradings at once)")

    def __exit__(self, *_: object) -> None:
        if self.uid is not None:
            kill_uid(self.uid)
        if self._lock:
            self._lock.close()


def kill_uid(uid: int) -> None:
    """Kills every process of `uid` (kill(-1) sent as that uid), until none is left."""
    for _ in range(20):
        if not _has_processes(uid):
            return
        subprocess.run([shutil.which("kill") or "/bin/kill", "-KILL", "--", "-1"], user=uid, group=uid, extra_groups=[], check=False,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        time.sleep(0.05)


def _has_processes(uid: int) -> bool:
    with os.scandir("/proc") as entries:
        for entry in entries:
            try:
                if entry.name.isdigit() and entry.stat(follow_symlinks=False).st_uid == uid:
                    return True
            except OSError:
                continue
    return False


def _own_thread_count() -> int:
    """Threads running as our uid (RLIMIT_NPROC counts them) when we are not root."""
    count = 0
    uid = os.getuid()
    with os.scandir("/proc") as entries:
        for entry in entries:
            try:
                if entry.name.isdigit() and entry.stat(follow_symlinks=False).st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


class Sandbox:
    """Runs commands contained; one object per grading process (it probes the machine once)."""

    def __init__(self, force_mode: str | None = None) -> None:
        self.root = os.geteuid() == 0
        self.mode = force_mode or self._probe()
        missing = [tool for tool in ("prlimit", "setpriv") if not shutil.which(tool)]
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)} (package util-linux)")

    def describe(self) -> str:
        user = "an unprivileged uid per run" if self.root else "your own user (not root)"
        if self.mode == "bwrap":
            return (f"contained with bubblewrap (private network, PID and filesystem view), "
                    f"resource limits, as {user}")
        return (f"NOT in namespaces (bubblewrap unavailable here): resource limits only, as "
                f"{user}; processes a submission leaves behind are "
                f"{'killed by uid' if self.root else 'killed by process group only'}")

    def _probe(self) -> str:
        if not shutil.which("bwrap"):
            return "limits"
        probe = subprocess.run([*self._bwrap_prefix([], [], "/", {}), "true"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                               check=False)
        return "bwrap" if probe.returncode == 0 else "limits"

    def _bwrap_prefix(self, readable: list[Path], writable: list[Path], cwd: str,
                      env: dict[str, str]) -> list[str]:
        args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        if not self.root:
            args.append("--unshare-user")
        for folder in SYSTEM_DIRS:
            if os.path.islink(folder):
                args += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(64 * MIB), "--tmpfs", "/tmp",
                 "--perms", "1777", "--size", str(64 * MIB), "--tmpfs", "/dev/shm"]
        for folder in _ancestors([*readable, *writable]):
            args += ["--perms", "0755", "--dir", str(folder)]
        for path in readable:
            args += ["--ro-bind", str(path), str(path)]
        for path in writable:
            args += ["--bind", str(path), str(path)]
        args += ["--chdir", cwd, "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        return args

    def _limits_prefix(self, limits: Limits) -> list[str]:
        processes = limits.processes if self.root else _own_thread_count() + limits.processes
        return ["prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.address_space}",
                f"--fsize={limits.file_size}", f"--nproc={processes}",
                f"--nofile={limits.open_files}", "--core=0", "--"]

    def command(self, argv: list[str], *, uid: int | None, cwd: Path, env: dict[str, str],
                readable: list[Path], writable: list[Path], limits: Limits) -> tuple[list[str], dict[str, str]]:
        """The full command line (and the environment) that runs argv contained."""
        full_env = {"PATH": SAFE_PATH, "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", **env}
        drop = ([] if uid is None else
                ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--"])
        prefix = self._limits_prefix(limits)
        if self.mode == "bwrap":
            return [*prefix, *self._bwrap_prefix(readable, writable, str(cwd), full_env),
                    *drop, *argv], {"PATH": SAFE_PATH}
        return [*prefix, *drop, *argv], full_env

    def run(self, argv: list[str], *, uid: int | None, cwd: Path, env: dict[str, str],
            readable: list[Path], writable: list[Path], limits: Limits) -> RunResult:
        """Runs argv contained, keeping at most limits.output_bytes of its output."""
        if uid is not None:
            for path in writable:
                _chown_tree(path, uid)
        command, command_env = self.command(argv, uid=uid, cwd=cwd, env=env, readable=readable,
                                            writable=writable, limits=limits)
        try:
            return run_capped(command, command_env, cwd, limits)
        finally:
            if uid is not None:
                kill_uid(uid)


def _ancestors(paths: list[Path]) -> list[Path]:
    """The folders above `paths`, outermost first, that bwrap must create traversable (it
    makes missing ones 0700 otherwise). /, /tmp and the system folders are left alone."""
    folders: set[Path] = set()
    for path in paths:
        folders.update(parent for parent in path.parents
                       if str(parent) not in ("/", "/tmp", "/dev", "/proc", *SYSTEM_DIRS))
    return sorted(folders, key=lambda folder: len(folder.parts))


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def run_capped(command: list[str], env: dict[str, str], cwd: Path, limits: Limits) -> RunResult:
    """Runs a command in its own session; reads its output through a capped pipe; kills the
    whole process group at the deadline or soon after the command itself has ended."""
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    kept = bytearray()
    truncated = timed_out = False
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env, cwd=cwd,
                               start_new_session=True)
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        open_pipe = True
        ended_at: float | None = None
        while True:
            now = time.monotonic()
            if now >= deadline:
                timed_out = process.poll() is None
                break
            if ended_at is None and process.poll() is not None:
                ended_at = now
            if ended_at is not None and (not open_pipe or now - ended_at > 0.5):
                break
            if not open_pipe:
                time.sleep(0.02)
                continue
            if not selector.select(timeout=0.1):
                continue
            chunk = _read_some(process.stdout.fileno())
            if chunk is None:
                continue
            if not chunk:
                selector.unregister(process.stdout)
                open_pipe = False
                continue
            room = limits.output_bytes - len(kept)
            if room > 0:
                kept += chunk[:room]
            truncated = truncated or len(chunk) > room
    _kill_group(process.pid)
    process.stdout.close()
    returncode = process.wait()
    return RunResult(None if timed_out else returncode, bytes(kept), truncated, timed_out,
                     time.monotonic() - started)


def _read_some(descriptor: int) -> bytes | None:
    try:
        return os.read(descriptor, 65536)
    except BlockingIOError:
        return None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
