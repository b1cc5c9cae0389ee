"""The processes `make run` starts, from the Procfile's own lines, for the tests and benchmarks that
must measure what users run. Each line goes through the shell, as honcho runs it. Imports nothing
from Django."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(names: list[str], *, env: dict[str, str], quiet: bool = True) -> Iterator[dict[str, subprocess.Popen]]:
    """Start the named Procfile processes with env; stop them (and their children) on the way out."""
    env = {**os.environ, **env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    output = subprocess.DEVNULL if quiet else None
    lines = commands()
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name in names:
            processes[name] = subprocess.Popen(["sh", "-c", f"exec {lines[name].strip()}"], cwd=ROOT, env=env,
                                               stdout=output, stderr=output, start_new_session=True)
        yield processes
    finally:
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
