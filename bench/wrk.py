"""Running wrk: installing it when missing, composing its Lua scripts, pinning it to the load CPU,
and parsing what it printed."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.procs import OUT, BenchError, pinned
from bench.stats import WrkResult, parse_wrk

LUA = Path(__file__).resolve().parent / "lua"


def ensure_wrk() -> str:
    """The path of ``wrk``; installs Debian's package when it is missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BenchError("wrk is not installed: run `apt-get install -y wrk`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    if install.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("installing wrk failed")
    return found


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0].strip()


def script(name: str, *parts: str) -> Path:
    """Write ``common.lua`` followed by the given parts into one script under bench/out/."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.lua"
    text = "\n".join((LUA / f"{part}.lua").read_text() for part in ("common", *parts))
    path.write_text(text)
    return path


@dataclass
class WrkRun:
    command: list[str]
    result: WrkResult
    output: str
    secret: str = ""

    def shown(self) -> str:
        """The command line with paths shortened to what a reader needs."""
        shown = []
        for part in self.command:
            if part.startswith(str(OUT)):
                part = "bench/out/" + Path(part).name
            elif self.secret and part == self.secret:
                part = "$TOKEN"
            shown.append(part)
        return " ".join(shown)


def run(
    url: str,
    lua: Path,
    args: list[str],
    *,
    duration: float,
    connections: int,
    cpus: str | None,
    threads: int = 1,
    timeout_s: int = 10,
) -> WrkRun:
    """Run wrk once. Every script in bench/lua takes the bearer token as its second argument;
    reports show it as ``$TOKEN``."""
    command = pinned(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={timeout_s}s",
            "-s",
            str(lua),
            url,
            "--",
            *args,
        ],
        cpus,
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    secret = args[1] if len(args) > 1 else ""
    return WrkRun(command, parse_wrk(done.stdout), done.stdout, secret)
