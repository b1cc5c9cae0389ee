from django.core.management.base import BaseCommand

from journal.demo import seed_journals
from meditrack.accounts.demo import DEMO_PASSWORD, DEMO_USERS, seed_accounts
from meditrack.patients.demo import seed_patients


class Command(BaseCommand):
    help = ("Create the demo accounts, their patient records with months of vitals and intakes, and their journals "
            "(idempotent: what exists is left as it is).")

    def handle(self, *args, **options):
        created = seed_accounts()
        seed_patients()
        entries = seed_journals()
        self.stdout.write(f"Demo data: {created} account(s) created, {len(DEMO_USERS) - created} already there; "
                          f"{entries} journal entries written (the workers analyse them).")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, role, _tier, _language in DEMO_USERS:
            self.stdout.write(f"  {role:<10} {email:<32} {name}")
