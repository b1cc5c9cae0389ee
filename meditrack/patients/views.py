"""The patient list and the patient page. Who reaches a patient is decided by selectors.patient_get, what
they may do there by services.may_manage_patients."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from journal.selectors import entries_shared_with_care_team
from meditrack.accounts.models import User
from meditrack.patients import selectors, services, thresholds
from meditrack.patients.models import Vital

RANGES = {"30": 30, "90": 90, "180": 180, "365": 365, "all": None}
DEFAULT_RANGE = "90"
ADHERENCE_DAYS = 30
SHARED_ENTRIES = 10


@login_required
def index(request):
    if request.user.role == User.Role.PATIENT:
        own = selectors.patients_visible_to(user=request.user).first()
        if own is not None:
            return redirect("patients:detail", patient_id=own.patient_id)
    since = timezone.now() - timedelta(days=ADHERENCE_DAYS)
    return render(request, "patients/index.html", {
        "overviews": selectors.patient_overviews(user=request.user, since=since),
        "adherence_days": ADHERENCE_DAYS,
    })


@login_required
def detail(request, patient_id: str):
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    range_key = request.GET.get("days") if request.GET.get("days") in RANGES else DEFAULT_RANGE
    now = timezone.now()
    days = RANGES[range_key]
    start = now - timedelta(days=days) if days else None
    recent = selectors.medication_adherence(patient=patient, start=now - timedelta(days=ADHERENCE_DAYS))
    overall = selectors.medication_adherence(patient=patient)
    medications = [(m, recent[m.pk], overall[m.pk]) for m in selectors.medications_list(patient=patient)]
    latest = []
    for vital in selectors.latest_vitals(patient=patient):
        band = thresholds.classify(vital.kind, vital.value)
        latest.append((vital, band, thresholds.is_out_of_range(vital.kind, vital.value)))
    order = list(Vital.Kind.values)
    latest.sort(key=lambda row: order.index(row[0].kind))
    is_clinician = services.may_manage_patients(user=request.user)
    return render(request, "patients/detail.html", {
        "patient": patient,
        "age": selectors.age_on(patient.date_of_birth, timezone.localdate()),
        "clinicians": patient.clinicians.order_by("display_name"),
        "is_clinician": is_clinician,
        "alerts": selectors.care_alerts_list(patient=patient, open_only=True) if is_clinician else [],
        # What the patient chose to share; the patient reads their whole journal on the journal pages.
        "shared_entries": entries_shared_with_care_team(patient=patient)[:SHARED_ENTRIES] if is_clinician else [],
        "series": selectors.vital_series(patient=patient, start=start),
        "latest": latest,
        "medications": medications,
        "ranges": [(key, f"{value} days" if value else "All") for key, value in RANGES.items()],
        "range_key": range_key,
        "adherence_days": ADHERENCE_DAYS,
    })


@login_required
@require_POST
def alert_seen(request, patient_id: str, alert_id: int):
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    if not services.may_manage_patients(user=request.user):
        raise PermissionDenied
    services.care_alert_mark_seen(alert=selectors.care_alert_get(patient=patient, alert_id=alert_id),
                                  clinician=request.user)
    messages.success(request, "Alert marked as seen.")
    return redirect("patients:detail", patient_id=patient.patient_id)
