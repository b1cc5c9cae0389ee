"""Patient reads: who may reach which patient (the one place that decides it), and that patient's data."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from meditrack.accounts.models import User
from meditrack.patients import thresholds
from meditrack.patients.adherence import adherence_rate, on_time_rate
from meditrack.patients.models import PATIENT_ID_RE, CareAlert, Medication, MedicationIntake, Patient, Vital


def patients_visible_to(*, user: User) -> QuerySet[Patient]:
    """A clinician's assigned patients; a patient's own record; nothing for anyone else."""
    if user.role == User.Role.CLINICIAN:
        return Patient.objects.filter(care_assignments__clinician=user)
    if user.role == User.Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def patient_get(*, user: User, patient_id: str) -> Patient:
    """The patient with this public id, if the user may reach it; 404 otherwise, whether or not it exists.
    An id that is no patient id (a NUL byte, which PostgreSQL refuses, say) is a 404 without a query."""
    if not isinstance(patient_id, str) or not PATIENT_ID_RE.match(patient_id):
        raise Http404("No such patient.")
    try:
        return patients_visible_to(user=user).get(patient_id=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


# Everything below reads data of a patient the caller already reached through patient_get.

def care_alerts_list(*, patient: Patient, open_only: bool = False) -> QuerySet[CareAlert]:
    alerts = CareAlert.objects.filter(patient=patient).select_related("seen_by")
    return alerts.filter(seen_at__isnull=True) if open_only else alerts


def care_alert_get(*, patient: Patient, alert_id: int) -> CareAlert:
    try:
        return CareAlert.objects.get(patient=patient, pk=alert_id)
    except CareAlert.DoesNotExist:
        raise Http404("No such alert.") from None


def _within(qs: QuerySet, field: str, start: datetime | None, end: datetime | None) -> QuerySet:
    """Both bounds included, as meditrack.dateranges.bounds gives them."""
    if start:
        qs = qs.filter(**{f"{field}__gte": start})
    if end:
        qs = qs.filter(**{f"{field}__lte": end})
    return qs


def vitals_list(*, patient: Patient, kind: str | None = None, start: datetime | None = None,
                end: datetime | None = None) -> QuerySet[Vital]:
    qs = Vital.objects.filter(patient=patient)
    if kind:
        qs = qs.filter(kind=kind)
    return _within(qs, "measured_at", start, end).order_by("measured_at", "id")


def medications_list(*, patient: Patient) -> QuerySet[Medication]:
    return Medication.objects.filter(patient=patient).order_by("start", "id")


def medication_get(*, patient: Patient, medication_id: int) -> Medication:
    try:
        return Medication.objects.get(patient=patient, pk=medication_id)
    except Medication.DoesNotExist:
        raise Http404("No such medication.") from None


def intakes_list(*, patient: Patient, medication_id: int | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> QuerySet[MedicationIntake]:
    qs = MedicationIntake.objects.filter(medication__patient=patient).select_related("medication")
    if medication_id is not None:
        qs = qs.filter(medication_id=medication_id)
    return _within(qs, "scheduled_at", start, end).order_by("scheduled_at", "id")


@dataclass(frozen=True)
class Adherence:
    """A medication's recorded scheduled intakes and their shares (see ``adherence``), to four places."""

    medication_id: int
    scheduled: int
    taken: int
    late: int
    missed: int

    @property
    def adherence(self) -> float | None:
        return _four_places(adherence_rate(taken=self.taken, late=self.late, scheduled=self.scheduled))

    @property
    def on_time(self) -> float | None:
        return _four_places(on_time_rate(taken=self.taken, scheduled=self.scheduled))


def _four_places(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def _adherence_counts():
    return {
        "scheduled": Count("id"),
        "taken": Count("id", filter=Q(status=MedicationIntake.Status.TAKEN)),
        "late": Count("id", filter=Q(status=MedicationIntake.Status.LATE)),
        "missed": Count("id", filter=Q(status=MedicationIntake.Status.MISSED)),
    }


def medication_adherence(*, patient: Patient, start: datetime | None = None,
                         end: datetime | None = None) -> dict[int, Adherence]:
    """Adherence per medication of the patient (every medication, with zero counts if none recorded)."""
    rows = (_within(MedicationIntake.objects.filter(medication__patient=patient), "scheduled_at", start, end)
            .values("medication_id").annotate(**_adherence_counts()).order_by())
    counts = {row["medication_id"]: row for row in rows}
    result = {}
    for medication_id in medications_list(patient=patient).values_list("id", flat=True):
        row = counts.get(medication_id, {})
        result[medication_id] = Adherence(medication_id, row.get("scheduled", 0), row.get("taken", 0),
                                          row.get("late", 0), row.get("missed", 0))
    return result


@dataclass(frozen=True)
class PatientOverview:
    patient: Patient
    systolic: float | None
    diastolic: float | None
    bp_at: datetime | None
    bp_category: str | None
    adherence: float | None       # adherence_rate over the window, all medications together
    scheduled: int
    last_reading_at: datetime | None
    age: int | None
    open_alerts: int


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def patient_overviews(*, user: User, since: datetime) -> list[PatientOverview]:
    """The patients the user may reach, each with the latest blood pressure and the adherence since ``since``:
    three queries whatever the number of patients."""
    def latest(kind: str, column: str = "value"):
        return Subquery(Vital.objects.filter(patient=OuterRef("pk"), kind=kind)
                        .order_by("-measured_at", "-id").values(column)[:1])

    patients = list(patients_visible_to(user=user).annotate(
        systolic=latest(Vital.Kind.SYSTOLIC), diastolic=latest(Vital.Kind.DIASTOLIC),
        bp_at=latest(Vital.Kind.SYSTOLIC, "measured_at"),
        last_reading_at=Subquery(Vital.objects.filter(patient=OuterRef("pk")).order_by("-measured_at")
                                 .values("measured_at")[:1]),
        open_alerts=Count("alerts", filter=Q(alerts__seen_at__isnull=True), distinct=True),
    ).order_by("patient_id"))
    rows = (MedicationIntake.objects.filter(medication__patient__in=[p.pk for p in patients], scheduled_at__gte=since)
            .values("medication__patient_id").annotate(**_adherence_counts()).order_by())
    counts = {row["medication__patient_id"]: row for row in rows}
    today = timezone.localdate()
    out = []
    for p in patients:
        row = counts.get(p.pk, {"scheduled": 0, "taken": 0, "late": 0})
        category = (thresholds.bp_category(p.systolic, p.diastolic)
                    if p.systolic is not None and p.diastolic is not None else None)
        out.append(PatientOverview(p, p.systolic, p.diastolic, p.bp_at, category,
                                   _four_places(adherence_rate(taken=row["taken"], late=row["late"],
                                                               scheduled=row["scheduled"])),
                                   row["scheduled"], p.last_reading_at, age_on(p.date_of_birth, today),
                                   p.open_alerts))
    return out


def vital_series(*, patient: Patient, start: datetime | None = None) -> list[dict]:
    """Per kind with readings (in Vital.Kind order): its label, unit, reference range, threshold bands and
    points as [epoch milliseconds, value], for the patient page's charts."""
    points: dict[str, list] = {}
    for kind, measured_at, value in (vitals_list(patient=patient, start=start)
                                     .values_list("kind", "measured_at", "value")):
        points.setdefault(kind, []).append([int(measured_at.timestamp() * 1000), value])
    series = []
    for kind, label in Vital.Kind.choices:
        if kind not in points:
            continue
        threshold = thresholds.THRESHOLDS[kind]
        series.append({
            "kind": kind, "label": label, "unit": threshold.unit,
            "normal": [threshold.normal_low, threshold.normal_high],
            "normal_text": threshold.normal_text, "source": threshold.source,
            "bands": [{"low": b.low, "high": b.high, "label": b.label, "severity": b.severity}
                      for b in threshold.bands],
            "points": points[kind],
        })
    return series


def latest_vitals(*, patient: Patient) -> list[Vital]:
    """The most recent reading of each kind."""
    return list(Vital.objects.filter(patient=patient).order_by("kind", "-measured_at", "-id").distinct("kind"))


def patient_fhir_bundle(*, patient: Patient) -> dict:
    from meditrack.patients import fhir

    return fhir.bundle_build(patient=patient, vitals=vitals_list(patient=patient).iterator(chunk_size=2000),
                             medications=medications_list(patient=patient))
