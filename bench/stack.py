"""What the benchmarks that need the whole stack share: they re-run themselves under
meditrack.embedded (var/bench), then set Django up with a migrated database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_with_services(script: str, measure) -> None:
    """Call measure() once DATABASE_URL and REDIS_URL point at running services, starting the
    embedded ones for this script if they do not."""
    if not os.environ.get("DATABASE_URL"):
        sys.exit(subprocess.call([sys.executable, "-m", "meditrack.embedded", "--var", str(ROOT / "var" / "bench"),
                                  "--", sys.executable, script], cwd=ROOT))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meditrack.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    measure()


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time of each named process, postgres's with its backends (this process's children are the
    others, counted on their own), and of the whole machine: other work on it competes for the cores."""
    import psutil

    seconds = {}
    for name, pid in pids.items():
        try:
            process = psutil.Process(pid)
            family = [process, *process.children(recursive=True)] if name == "postgres" else [process]
        except psutil.NoSuchProcess:
            continue
        total = 0.0
        for p in family:
            try:
                times = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        seconds[name] = total
    times = psutil.cpu_times()
    seconds["machine"] = sum(times) - times.idle - getattr(times, "iowait", 0.0)  # everyone's, ours included
    return seconds


def service_pids() -> dict[str, int]:
    """The embedded PostgreSQL's postmaster and Redis server (var/bench), for the CPU breakdown."""
    var = ROOT / "var" / "bench"
    pids = {}
    for name, path in (("postgres", var / "pg" / "postmaster.pid"), ("redis", var / "redis" / "redis.pid")):
        try:
            pids[name] = int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return pids
