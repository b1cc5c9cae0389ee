"""What patients do when another app announces something: the journal's crisis language becomes a care alert."""

from meditrack.patients.models import CareAlert
from meditrack.patients.services import care_alert_raise


def crisis_language_alert(sender, *, entry, **kwargs) -> None:
    """Keep an alert for the writer's care team, saved in the entry's own transaction."""
    care_alert_raise(patient_user=entry.owner, kind=CareAlert.Kind.CRISIS_LANGUAGE)
