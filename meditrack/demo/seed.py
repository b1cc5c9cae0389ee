from meditrack.demo.journals import seed_journals
from meditrack.demo.patients import seed_patients
from meditrack.demo.people import seed_accounts


def seed_demo() -> tuple[int, int]:
    """Create the demo accounts, their patient records with months of vitals and intakes, and their journals,
    leaving what exists as it is: how many accounts were created and how many journal entries written."""
    created = seed_accounts()
    seed_patients()
    return created, seed_journals()
