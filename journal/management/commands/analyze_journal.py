"""Analyse journal entries again, e.g. after an operator changed a tier's sentiment or emotion model.

The work is done by the workers, in batches, exactly as for new entries; this command marks entries
pending, queues the runs and shows their progress until every marked entry is analysed again."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from journal import services
from journal.models import EntryAnalysis
from meditrack.accounts.models import User


class Command(BaseCommand):
    help = "Re-analyse journal entries on the workers, with a progress bar."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="email of the one journal to re-analyse")
        who.add_argument("--all", action="store_true", help="every journal")
        parser.add_argument("--stale", action="store_true",
                            help="only entries analysed by other models or code than the tier's current ones")
        parser.add_argument("--no-wait", action="store_true", help="queue the work and return at once")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the workers")

    def handle(self, *args, user=None, all=False, stale=False, no_wait=False, timeout=3600, **options):
        owner_ids = None
        if user:
            owner = User.objects.filter(email__iexact=user).first()
            if owner is None:
                raise CommandError(f"No user with the email {user}.")
            owner_ids = [owner.pk]
        tiers, count = services.analysis_reset(owner_ids=owner_ids, stale_only=stale)
        for tier in tiers:
            services.analysis_enqueue(tier=tier)
        self.stdout.write(f"{count} entr{'y' if count == 1 else 'ies'} queued for analysis.")
        if no_wait or not count:
            return
        pending = EntryAnalysis.objects.filter(status=EntryAnalysis.Status.PENDING)
        if owner_ids is not None:
            pending = pending.filter(entry__owner_id__in=owner_ids)
        deadline = time.monotonic() + timeout
        with tqdm(total=count, unit="entry", file=self.stdout) as bar:
            while (left := pending.count()) and time.monotonic() < deadline:
                bar.update(max(0, count - left - bar.n))
                time.sleep(0.5)
            bar.update(max(0, count - left - bar.n))
        if left:
            raise CommandError(f"{left} entries are still pending: are the workers running?")
