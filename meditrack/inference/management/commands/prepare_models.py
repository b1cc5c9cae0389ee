import time

from django.core.management.base import BaseCommand

from meditrack.inference.backends.local_weights import resolve
from meditrack.inference.errors import ModelUnavailable
from meditrack.inference.models import AIModel


class Command(BaseCommand):
    help = ("Prepare the weights of every enabled local model now (the packaged Gemma is converted once, which takes "
            "a minute or two), so that no user's first request waits for it. Nothing is downloaded.")

    def handle(self, *args, **options):
        for row in AIModel.objects.filter(enabled=True, backend="local").order_by("slug"):
            started = time.monotonic()
            try:
                path = resolve(row.spec())
            except ModelUnavailable as exc:  # its tiers fall back to their next model, as they would at run time
                self.stderr.write(f"{row.slug}: not available here: {exc.detail}")
                continue
            self.stdout.write(f"{row.slug}: ready in {time.monotonic() - started:.1f} s ({path})")
