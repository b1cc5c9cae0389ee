"""Index again what the assistant retrieves from: after a change of embedding model or chunking, or for records
written without the app's services (the demo's seed, an import). Runs here, not on the workers, with a progress
bar over the sources."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from assistant import indexing
from assistant.models import Document
from meditrack.accounts.models import User
from meditrack.patients.models import Patient


class Command(BaseCommand):
    help = "Index a user's (or everyone's) documents, journal entries and facts again, with a progress bar."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="email of the one user to reindex")
        who.add_argument("--all", action="store_true", help="every user, and every patient's facts")

    def handle(self, *args, user=None, all=False, **options):
        if user:
            users = list(User.objects.filter(email__iexact=user))
            if not users:
                raise CommandError(f"No user with the email {user}.")
        else:
            users = list(User.objects.order_by("pk"))
        patients = [] if user else list(Patient.objects.filter(user__isnull=True))
        total = sum(len(d) + len(e) + len(p) for d, e, p in map(lambda u: indexing.owner_sources(user=u), users))
        total += len(patients)
        document_ids = []
        with tqdm(total=total, unit="source", file=self.stdout) as bar:
            for owner in users:
                document_ids += indexing.owner_reindex(user=owner, on_progress=bar.update)
            for record in patients:
                indexing.facts_index(patient=record, tier=User.Tier.STANDARD)
                bar.update(1)
        failed = Document.objects.filter(pk__in=document_ids, status=Document.Status.FAILED).count()
        self.stdout.write(f"{total} source{'s' if total != 1 else ''} indexed"
                          + (f"; {failed} document{'s' if failed != 1 else ''} failed." if failed else "."))
