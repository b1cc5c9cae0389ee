from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meditrack.demo.people import DEMO_PASSWORD, DEMO_USERS
from meditrack.demo.seed import seed_demo


class Command(BaseCommand):
    help = ("Create the demo accounts, their patient records with months of vitals and intakes, and their journals "
            "(idempotent: what exists is left as it is).")

    def add_arguments(self, parser):
        parser.add_argument("--without-debug", action="store_true",
                            help="Seed even with DEBUG off (a local `make run`), knowing the admin's password is "
                                 "published.")

    def handle(self, *args, without_debug=False, **options):
        # The demo admin's password is in the README: a production database must not get it by accident.
        if not settings.DEBUG and not without_debug:
            raise CommandError("DEBUG is off: this looks like production, where the demo's published passwords "
                               "do not belong. Pass --without-debug to seed all the same.")
        created, entries = seed_demo()
        self.stdout.write(f"Demo data: {created} account(s) created, {len(DEMO_USERS) - created} already there; "
                          f"{entries} journal entries written (the workers analyse them).")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, role, _tier, _language in DEMO_USERS:
            self.stdout.write(f"  {role:<10} {email:<32} {name}")
