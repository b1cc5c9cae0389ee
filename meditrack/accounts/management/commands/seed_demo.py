from django.core.management.base import BaseCommand

from meditrack.demo.people import DEMO_PASSWORD, DEMO_USERS
from meditrack.demo.seed import seed_demo


class Command(BaseCommand):
    help = ("Create the demo accounts, their patient records with months of vitals and intakes, and their journals "
            "(idempotent: what exists is left as it is).")

    def handle(self, *args, **options):
        created, entries = seed_demo()
        self.stdout.write(f"Demo data: {created} account(s) created, {len(DEMO_USERS) - created} already there; "
                          f"{entries} journal entries written (the workers analyse them).")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, role, _tier, _language in DEMO_USERS:
            self.stdout.write(f"  {role:<10} {email:<32} {name}")
