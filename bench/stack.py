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
