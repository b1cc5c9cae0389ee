from assistant.tasks import reindex_owner
from meditrack.accounts.models import User
from meditrack.demo.journals import seed_journals
from meditrack.demo.patients import seed_patients
from meditrack.demo.people import DEMO_USERS, seed_accounts
from meditrack.enqueue import enqueue
from meditrack.inference import services as inference
from meditrack.inference.types import Task


def seed_demo() -> tuple[int, int]:
    """Create the demo accounts, their patient records with months of vitals and intakes, and their journals,
    leaving what exists as it is: how many accounts were created and how many journal entries written."""
    created = seed_accounts()
    seed_patients()
    written = seed_journals()
    if written:
        # Written in bulk, the journals announced no entry: the workers index them, so the assistant can answer
        # from them.
        for user in User.objects.filter(email__in=[email for email, *_ in DEMO_USERS], role=User.Role.PATIENT):
            enqueue(reindex_owner, queue=inference.queue_for(tier=user.tier, task=Task.EMBEDDING, default="cpu"),
                    args=(user.pk,))
    return created, written
