"""The demo's people: an admin, two clinicians and six patients, all with one password, and the span of days their
records and journals cover."""

from django.db import transaction

from meditrack.accounts.models import User

DEMO_PASSWORD = "meditrack-demo"
# The patients' readings, doses and journals cover the same stretch of days, up to today.
SPAN_DAYS = 182

ADMIN = "admin@meditrack.local"
OKAFOR = "dr.okafor@meditrack.local"
WEBER = "dr.weber@meditrack.local"
MARIA = "maria.garcia@meditrack.local"
JAMES = "james.chen@meditrack.local"
FATIMA = "fatima.hassan@meditrack.local"
TOM = "tom.muller@meditrack.local"
CLAIRE = "claire.dubois@meditrack.local"
SAM = "sam.okoro@meditrack.local"

ZONES = {"en": "Europe/London", "de": "Europe/Berlin", "es": "Europe/Madrid", "fr": "Europe/Paris"}

# (email, display name, role, tier, language)
DEMO_USERS = [
    (ADMIN, "Ada Admin", User.Role.ADMIN, User.Tier.ENTERPRISE, "en"),
    (OKAFOR, "Dr. Amara Okafor", User.Role.CLINICIAN, User.Tier.ENTERPRISE, "en"),
    (WEBER, "Dr. Lukas Weber", User.Role.CLINICIAN, User.Tier.HIGH, "de"),
    (MARIA, "María García", User.Role.PATIENT, User.Tier.HIGH, "es"),
    (JAMES, "James Chen", User.Role.PATIENT, User.Tier.STANDARD, "en"),
    (FATIMA, "Fatima Hassan", User.Role.PATIENT, User.Tier.STANDARD, "en"),
    (TOM, "Tom Müller", User.Role.PATIENT, User.Tier.ENTERPRISE, "de"),
    (CLAIRE, "Claire Dubois", User.Role.PATIENT, User.Tier.STANDARD, "fr"),
    (SAM, "Sam Okoro", User.Role.PATIENT, User.Tier.HIGH, "en"),
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
