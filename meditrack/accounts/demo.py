"""The demo accounts: an admin, two clinicians and six patients, all with one password."""

from django.db import transaction

from meditrack.accounts.models import User

DEMO_PASSWORD = "meditrack-demo"

ZONES = {"en": "Europe/London", "de": "Europe/Berlin", "es": "Europe/Madrid", "fr": "Europe/Paris"}

# (email, display name, role, tier, language)
DEMO_USERS = [
    ("admin@meditrack.local", "Ada Admin", User.Role.ADMIN, User.Tier.ENTERPRISE, "en"),
    ("dr.okafor@meditrack.local", "Dr. Amara Okafor", User.Role.CLINICIAN, User.Tier.ENTERPRISE, "en"),
    ("dr.weber@meditrack.local", "Dr. Lukas Weber", User.Role.CLINICIAN, User.Tier.HIGH, "de"),
    ("maria.garcia@meditrack.local", "María García", User.Role.PATIENT, User.Tier.HIGH, "es"),
    ("james.chen@meditrack.local", "James Chen", User.Role.PATIENT, User.Tier.STANDARD, "en"),
    ("fatima.hassan@meditrack.local", "Fatima Hassan", User.Role.PATIENT, User.Tier.STANDARD, "en"),
    ("tom.muller@meditrack.local", "Tom Müller", User.Role.PATIENT, User.Tier.ENTERPRISE, "de"),
    ("claire.dubois@meditrack.local", "Claire Dubois", User.Role.PATIENT, User.Tier.STANDARD, "fr"),
    ("sam.okoro@meditrack.local", "Sam Okoro", User.Role.PATIENT, User.Tier.HIGH, "en"),
]


@transaction.atomic
def seed_accounts() -> int:
    """Create the demo accounts that do not exist yet; returns how many were created."""
    created = 0
    for email, name, role, tier, language in DEMO_USERS:
        user, is_new = User.objects.get_or_create(
            email=email,
            defaults={"display_name": name, "role": role, "tier": tier, "language": language,
                      "time_zone": ZONES[language],
                      "is_staff": role == User.Role.ADMIN, "is_superuser": role == User.Role.ADMIN},
        )
        if is_new:
            # Hashing is deliberately slow: only new accounts pay for it, so a re-run is instant.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
    return created
