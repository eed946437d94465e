"""Running untrusted code: an unprivileged uid, resource limits, namespaces when possible.

Modes, best first (chosen once by probing the machine):
  bwrap   bubblewrap: private network (loopback only), PID, IPC and UTS namespaces, so
          nothing the submission starts outlives its run; a filesystem view holding only
          the system folders (read-only), a small private /tmp and the folders the caller
          names (the kit copy read-only, the build folder writable). solutions/ and the
          rest of the machine are not visible.
  netns   no bubblewrap, but `unshare` can give a private network (loopback only) and,
          when it can, a PID namespace: the limits mode below plus those two.
  limits  no namespaces (bubblewrap missing or not allowed, as in many containers): the
          limits and the unprivileged uid alone. The grader then hides what the uid must
          not read (see grading.py), gives each run a private TMPDIR, and removes what
          the uid left in the shared temporary folders. The report says so.
In every mode, when the grader runs as root, the code runs as a uid of its own (one per
concurrent run, so the process limit is really per run), with no-new-privs, and every
process of that uid is killed before the uid is used and after each run; limits come
from prlimit: CPU seconds, address space, file size, processes, open files, plus a
wall-clock deadline, a cap on the output kept and a cap on the disk the writable
folders use (checked every second).

Reports (the TAP a Criterion runner writes) come back through pipes the grader made
(ReportPipe): the runner is told --tap=/dev/fd/N, so no file the sandbox uid could
reopen or replace ever holds a result.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from grader import safefs

MIB = 1 << 20
UID_BASE = 61000
UID_SLOTS = 512
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# Inside a fresh network namespace the loopback interface starts down.
LOOPBACK_UP = ["/bin/sh", "-c", 'ip link set lo up && exec "$@"', "loopback-up"]


@dataclass(frozen=True)
class Limits:
    """What one sandboxed command may use."""

    wall_seconds: float = 120
    cpu_seconds: int = 20
    address_space: int = 512 * MIB
    file_size: int = 16 * MIB
    processes: int = 96
    open_files: int = 1024             # the kit's harness keeps its channels at 800 and up
    output_bytes: int = 64 * 1024
    disk_bytes: int = 256 * MIB          # the writable folders together, checked every second

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
    disk_full: bool = False              # stopped: the writable folders passed disk_bytes
    stopped: bool = False                # stopped: the grader is being stopped


class ReportPipe:
    """A pipe whose write end a sandboxed command gets as /dev/fd/N; the grader keeps the
    read end and the bytes (at most `limit`). Nothing in the sandbox can reopen it by a
    path of its own, replace it, or write to it after the run."""

    def __init__(self, limit: int) -> None:
        self.read_fd, self.write_fd = os.pipe()
        # The runner reopens /dev/fd/N as the sandbox uid: let anyone open the pipe for
        # writing only, so that no process can reopen it to read (steal) the report. Only
        # a process that holds the descriptor or can ptrace one that does can reach it.
        os.fchmod(self.write_fd, 0o602)
        os.set_blocking(self.read_fd, False)
        self.limit = limit
        self.data = bytearray()
        self.closed = False

    @property
    def path(self) -> str:
        return f"/dev/fd/{self.write_fd}"

    def close_write_end(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def drain(self) -> bool:
        """Reads what is there; False once the pipe is at its end."""
        while not self.closed:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                self.finish()
                return False
            room = self.limit - len(self.data)
            if room > 0:
                self.data += chunk[:room]
        return False

    def finish(self) -> bytes:
        """Reads what is left (every writer is dead by then) and closes the pipe."""
        self.close_write_end()
        if not self.closed:
            self.closed = True
            try:
                while (chunk := os.read(self.read_fd, 65536)) and len(self.data) < self.limit:
                    self.data += chunk[:self.limit - len(self.data)]
            except BlockingIOError:
                pass
            os.close(self.read_fd)
        return bytes(self.data)


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
            clean_up_uid(uid)     # what a grader that was killed may have left running
            return self
        raise RuntimeError("no free uid for the sandbox (too many gradings at once)")

    def __exit__(self, *_: object) -> None:
        if self.uid is not None:
            clean_up_uid(self.uid)
        if self._lock:
            self._lock.close()


def clean_up_uid(uid: int) -> None:
    """Kills every process of uid, then removes what it left in the shared temporary
    folders (/tmp, /var/tmp, /dev/shm, /run/lock)."""
    kill_uid(uid)
    for path in safefs.left_in_shared_tmp(uid):
        safefs.remove_tree(path)


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
        """force_mode: None (the best this machine allows), "limits" (no namespaces at
        all, as asked by --no-namespaces) or "netns" (unshare, no bubblewrap)."""
        self.root = os.geteuid() == 0
        self.asked = force_mode
        self.unshare: list[str] = []
        self.stop = threading.Event()        # set when the grader is being stopped
        self.mode = self._probe(force_mode)
        missing = [tool for tool in ("prlimit", "setpriv") if not shutil.which(tool)]
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)} (package util-linux)")

    @property
    def namespaces(self) -> bool:
        """True when runs have bubblewrap's full set (network, PID, filesystem view)."""
        return self.mode == "bwrap"

    def describe(self) -> str:
        user = ("an unprivileged uid per run, with no-new-privs" if self.root else
                "your own user (not root)" if self.mode == "bwrap" else
                "your own user (not root: nothing can be hidden from the submission)")
        if self.mode == "bwrap":
            return (f"isolation: bubblewrap namespaces (private network with loopback only, "
                    f"private PID space, a filesystem view without the kit's solutions or "
                    f"other submissions), resource limits, as {user}")
        why = ("--no-namespaces was given" if self.asked == "limits" else
               "bubblewrap is not installed" if not shutil.which("bwrap") else
               "bubblewrap cannot make namespaces on this machine")
        hidden = ("the kit's solutions, hidden tests and other submissions are made "
                  "unreadable to the sandbox uid while grading; " if self.root else "")
        if self.mode == "netns":
            spaces = ("private network (loopback only) and PID namespace (with its own /proc)"
                      if "--pid" in self.unshare else "private network (loopback only)")
            return (f"isolation: PARTIAL, no bubblewrap ({why}): {spaces} from unshare, "
                    f"no filesystem view; {hidden}resource limits, as {user}")
        return (f"isolation: NONE beyond limits ({why}): no namespaces, so the submission "
                f"shares this machine's network, process list and files; {hidden}"
                f"resource limits, as {user}; processes it leaves behind are "
                f"{'killed by uid' if self.root else 'killed by process group only'}")

    def _probe(self, force_mode: str | None) -> str:
        if force_mode == "limits":
            return "limits"
        if force_mode != "netns" and shutil.which("bwrap"):
            probe = subprocess.run([*self._bwrap_prefix([], [], "/", {}), "true"],
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                                   check=False)
            if probe.returncode == 0:
                return "bwrap"
        return "netns" if self._probe_unshare() else "limits"

    def _probe_unshare(self) -> bool:
        """unshare's private network (and PID namespace when allowed), loopback up."""
        if not (shutil.which("unshare") and shutil.which("ip")):
            return False
        # A PID namespace needs its own /proc (the kit's harness reads /proc/CHILD/fd),
        # hence --mount-proc (and with it a mount namespace).
        for unshare in (["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"],
                        ["unshare", "--net"]):
            command = [*unshare, "--", *LOOPBACK_UP, "true"]
            try:
                probe = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                       timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if probe.returncode == 0:
                self.unshare = unshare
                return True
        return False

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
        for parent in _ancestors([*readable, *writable]):
            args += ["--perms", "0755", "--dir", str(parent)]
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
                readable: list[Path], writable: list[Path], limits: Limits,
                tmp: Path | None = None) -> tuple[list[str], dict[str, str]]:
        """The full command line (and the environment) that runs argv contained. `tmp` is
        the run's private TMPDIR outside bubblewrap (inside, /tmp is private already)."""
        private = "/tmp" if self.mode == "bwrap" or tmp is None else str(tmp)
        full_env = {"PATH": SAFE_PATH, "HOME": private, "TMPDIR": private, "LANG": "C.UTF-8",
                    **env}
        drop = ([] if uid is None else
                ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"])
        prefix = self._limits_prefix(limits)
        if self.mode == "bwrap":
            return [*prefix, *self._bwrap_prefix(readable, writable, str(cwd), full_env),
                    *drop, *argv], {"PATH": SAFE_PATH}
        if self.mode == "netns":
            return [*prefix, *self.unshare, "--", *LOOPBACK_UP, *drop, *argv], full_env
        return [*prefix, *drop, *argv], full_env

    def run(self, argv: list[str], *, uid: int | None, cwd: Path, env: dict[str, str],
            readable: list[Path], writable: list[Path], limits: Limits,
            reports: list[ReportPipe] = (), tmp: Path | None = None,  # type: ignore[assignment]
            stdin: int | None = None) -> RunResult:
        """Runs argv contained, keeping at most limits.output_bytes of its output. The
        writable folders (and, outside bubblewrap, what uid owns in the shared temporary
        folders) may use at most limits.disk_bytes together. `reports` get their write
        ends passed to the command; their bytes are complete once this returns. The
        caller hands the writable folders to uid beforehand (safefs.give_tree)."""
        command, command_env = self.command(argv, uid=uid, cwd=cwd, env=env, readable=readable,
                                            writable=writable, limits=limits, tmp=tmp)
        watched = [*writable, *([tmp] if tmp is not None and self.mode != "bwrap" else [])]

        def disk_used() -> int:
            used = sum(safefs.tree_bytes(path) for path in watched)
            if uid is not None and self.mode != "bwrap":
                used += sum(safefs.tree_bytes(path) for path in safefs.left_in_shared_tmp(uid))
            return used

        try:
            return run_capped(command, command_env, cwd, limits, reports=list(reports),
                              stop=self.stop, disk_used=disk_used, stdin=stdin)
        finally:
            for pipe in reports:
                pipe.close_write_end()
            if uid is not None:
                kill_uid(uid)
                if self.mode != "bwrap":
                    for path in safefs.left_in_shared_tmp(uid):
                        safefs.remove_tree(path)
            for pipe in reports:
                pipe.finish()


def _ancestors(paths: list[Path]) -> list[Path]:
    """The folders above `paths`, outermost first, that bwrap must create traversable (it
    makes missing ones 0700 otherwise). /, /tmp and the system folders are left alone."""
    folders: set[Path] = set()
    for path in paths:
        folders.update(parent for parent in path.parents
                       if str(parent) not in ("/", "/tmp", "/dev", "/proc", *SYSTEM_DIRS))
    return sorted(folders, key=lambda folder: len(folder.parts))


def run_capped(command: list[str], env: dict[str, str], cwd: Path, limits: Limits, *,
               reports: list[ReportPipe] | None = None, stop: threading.Event | None = None,
               disk_used: Callable[[], int] | None = None,
               stdin: int | None = None) -> RunResult:
    """Runs a command in its own session; reads its output through a capped pipe (and
    drains the report pipes); kills the whole process group at the deadline, when
    `stop` is set, when disk_used() passes limits.disk_bytes, or soon after the command
    itself has ended."""
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    kept = bytearray()
    truncated = timed_out = disk_full = stopped = False
    reports = reports or []
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL if stdin is None else stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               cwd=cwd, start_new_session=True,
                               pass_fds=[pipe.write_fd for pipe in reports])
    try:
        for pipe in reports:
            pipe.close_write_end()
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        next_disk_check = started + 1.0
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            for pipe in reports:
                selector.register(pipe.read_fd, selectors.EVENT_READ, pipe)
            open_pipe = True
            ended_at: float | None = None
            while True:
                now = time.monotonic()
                if now >= deadline:
                    timed_out = process.poll() is None
                    break
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                if disk_used is not None and now >= next_disk_check:
                    next_disk_check = now + 1.0
                    if disk_used() > limits.disk_bytes:
                        disk_full = True
                        break
                if ended_at is None and process.poll() is not None:
                    ended_at = now
                if ended_at is not None and (not open_pipe or now - ended_at > 0.5):
                    break
                if not selector.get_map():
                    time.sleep(0.02)
                    continue
                for key, _ in selector.select(timeout=0.1):
                    if key.data is not None:
                        if not key.data.drain():
                            selector.unregister(key.fd)
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
    finally:
        _kill_group(process.pid)
        if process.stdout is not None:
            process.stdout.close()
        returncode = process.wait()
    ended = not (timed_out or disk_full or stopped)
    return RunResult(returncode if ended else None, bytes(kept), truncated, timed_out,
                     time.monotonic() - started, disk_full, stopped)


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
