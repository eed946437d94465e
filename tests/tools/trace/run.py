"""Running one scenario on one build (the student's or the reference) and reading what it left.

The scenario runs in inside.py under `unshare -rn --pid --fork --mount
--mount-proc` when the machine allows user namespaces: a private loopback to
capture, and a process namespace whose processes all die with it. Without
namespaces it runs on the machine's own loopback with no capture, and the
Availability says which piece is missing and why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pcap import Segment, read_segments
from scenarios import MESSAGE, PIECES, Scenario
from steps import Step, build_steps
from syscalls import read_calls

HERE = Path(__file__).resolve().parent
NAMESPACES = [["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--mount",
               "--mount-proc", "--kill-child"],
              ["unshare", "--user", "--map-root-user", "--net"]]


@dataclass
class Availability:
    """What this machine offers make trace, and in words what it lacks."""

    namespace: list[str] = field(default_factory=list)  # the unshare command, or []
    strace: str = ""
    ss: str = ""
    missing: list[str] = field(default_factory=list)


def probe() -> Availability:
    found = Availability(strace=shutil.which("strace") or "", ss=shutil.which("ss") or "")
    if not found.strace:
        found.missing.append("strace is not installed, so there is no system-call timeline "
                             "(install it: make deps, or apt-get install strace)")
    if not found.ss:
        found.missing.append("ss (iproute2) is not installed, so lab 3's scenario cannot show "
                             "ss's view of the socket")
    if not shutil.which("unshare"):
        found.missing.append("unshare (util-linux) is not installed: no private network, "
                             "so no capture")
        return found
    reasons = []
    for command in NAMESPACES:
        tried = subprocess.run([*command, "true"], capture_output=True, text=True, timeout=20,
                               check=False)
        if tried.returncode == 0:
            found.namespace = command
            return found
        reasons.append(tried.stderr.strip().splitlines()[-1] if tried.stderr.strip()
                       else f"exit status {tried.returncode}")
    found.missing.append(
        "this machine does not let an unprivileged user create a network namespace "
        f"({reasons[-1]}; for example kernel.unprivileged_userns_clone=0 or "
        "kernel.apparmor_restrict_unprivileged_userns=1), so there is no private loopback "
        "and no capture; the programs ran on the machine's loopback instead")
    return found


def build_driver(cc: str, kit: Path, build: Path, lab: int, output: Path) -> tuple[bool, str]:
    """Compiles driver.c with the library objects of labs 1..lab from build/obj: the plain
    ones, which make has checked (grader/runtime/objcheck.py) before it built the lab, not the
    renamed copies the tests link. A library object is one with a renamed copy beside it
    (programs have none: their main must stay out)."""
    objects = sorted(str(path) for k in range(1, lab + 1)
                     for path in (build / "obj" / f"lab{k}").glob("*.o")
                     if not path.name.endswith(".renamed.o")
                     and path.with_name(path.stem + ".renamed.o").exists())
    includes = [f"-I{kit / 'labs' / f'lab{k}'}" for k in range(1, lab + 1)]
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [cc, "-std=gnu11", "-g", "-O0", "-D_GNU_SOURCE", f"-DTRACE_LAB={lab}", *includes,
               str(HERE / "driver.c"), *objects, "-o", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode == 0, done.stderr


@dataclass
class Role:
    """One traced program of a run: what it is, what it did."""

    name: str
    command: list[str]
    steps: list[Step]
    stdout: str
    stderr: str
    status: int | None
    stopped: bool
    traced: bool


@dataclass
class Run:
    """One scenario on one build."""

    folder: Path
    roles: list[Role]
    peers: list[Role]
    segments: list[Segment] | None   # None: no capture
    ss: list[tuple[str, str]]
    notes: list[str]
    start: float = 0.0
    timeout: float = 0.0   # the bound, in seconds, after which a program was stopped

    def role(self, name: str) -> Role | None:
        return next((role for role in self.roles if role.name == name), None)


def programs_for(scenario: Scenario, build: Path, lab: int, driver: Path | None) -> dict[str, str]:
    paths: dict[str, str] = {}
    for need in scenario.needs:
        if need == "driver" and driver:
            paths["driver"] = str(driver)
        elif need == "test":
            paths["test"] = str(build / f"lab{lab}" / f"test_lab{lab}")
        else:
            paths[need] = str(program_in(build, need))
    return paths


def program_in(build: Path, name: str) -> Path:
    """Where the build put program `name`: BUILD/labK/name, K being the lab that declares it
    (labs/labK/lab.mk, which the Makefile read); BUILD/name, which fails to start, if unbuilt."""
    found = sorted(path for path in build.glob(f"lab*/{name}") if path.is_file())
    return found[0] if found else build / name


def run_scenario(scenario: Scenario, programs: dict[str, str], folder: Path,
                 available: Availability, timeout: float, test: str = "") -> Run:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    plan = {"scenario": scenario.runner, "out": str(folder), "timeout": timeout,
            "strace": available.strace, "ss": available.ss, "programs": programs,
            "python": sys.executable, "peer": str(HERE / "peer.py"), "message": MESSAGE,
            "pieces": PIECES, "test": test, "capture": bool(available.namespace),
            "loopback_up": bool(available.namespace)}
    (folder / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    command = [*available.namespace, sys.executable, str(HERE / "inside.py"),
               str(folder / "plan.json")]
    notes: list[str] = []
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 30,
                              check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        if done.returncode != 0:
            notes.append(f"the scenario's runner failed: {done.stderr.strip()[-800:]}")
    except subprocess.TimeoutExpired:
        notes.append(f"the scenario's runner did not finish within {timeout + 30:.0f} s")
    return read_run(folder, notes)


def read_run(folder: Path, notes: list[str]) -> Run:
    try:
        result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Run(folder, [], [], None, [], notes + ["the scenario left no result"])

    def role(entry: dict) -> Role:
        calls = read_calls(Path(entry["strace_file"])) if entry["strace_file"] else []
        return Role(entry["name"], entry["command"], build_steps(calls), entry["stdout"],
                    entry["stderr"], entry["status"], entry["stopped"], entry["traced"])

    roles = [role(entry) for entry in result["roles"]]
    segments = None
    if result["pcap"]:
        segments = read_segments(Path(result["pcap"]).read_bytes())
    starts = [step.time for r in roles for step in r.steps[:1]]
    run = Run(folder, roles, [role(entry) for entry in result["peers"]], segments,
              [(when, shown) for when, shown in result["ss"]], notes + result["notes"])
    run.start = min(starts) if starts else 0.0
    run.timeout = float(json.loads((folder / "plan.json").read_text(encoding="utf-8"))["timeout"])
    return run
