"""Who may reach which patient: the one place that decides it."""

from django.db.models import QuerySet
from django.http import Http404

from meditrack.accounts.models import User
from meditrack.patients.models import Patient


def patients_visible_to(*, user: User) -> QuerySet[Patient]:
    """A clinician's assigned patients; a patient's own record; nothing for anyone else."""
    if user.role == User.Role.CLINICIAN:
        return Patient.objects.filter(care_assignments__clinician=user)
    if user.role == User.Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def patient_get(*, user: User, patient_id: str) -> Patient:
    """The patient with this public id, if the user may reach it; 404 otherwise, whether or not it exists."""
    try:
        return patients_visible_to(user=user).get(patient_id=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


def clinician_ids_for(*, user: User) -> list[int]:
    """The clinicians assigned to this user's own patient record."""
    return list(User.objects.filter(care_assignments__patient__user=user).values_list("pk", flat=True))
