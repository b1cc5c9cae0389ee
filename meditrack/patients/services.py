"""Every write to patients, vitals, medications and intakes, with its validation.

Vitals are stored in their kind's canonical unit (see ``thresholds``): a reading given in lb, °F or
mmol/L is converted before it is saved, so one patient's readings of one kind are comparable.

Intake status follows from the times (``intake_status``): no ``taken_at`` is *missed*; taken no later
than ``ON_TIME_WINDOW`` after the scheduled time (or any time before it) is *taken* (on time); taken
later is *late*. Adherence (see ``selectors.Adherence``) is the share of recorded scheduled intakes
taken, on time or late (the one rule, in ``adherence``); the share taken on time is reported beside it.

A patient record is linked to its patient's own account only in the Django admin (and by the demo
seeding), never through the API: whoever links an account reads what that patient shares.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from meditrack.accounts.models import User
from meditrack.accounts.services import user_notify
from meditrack.dateranges import EARLIEST_DATE
from meditrack.errors import ApplicationError
from meditrack.patients import thresholds
from meditrack.patients.models import (
    PATIENT_ID_RE,
    CareAlert,
    CareAssignment,
    Medication,
    MedicationIntake,
    Patient,
    Vital,
)

ON_TIME_WINDOW = timedelta(minutes=60)
EARLIEST_INTAKE = timedelta(hours=12)   # taken more than this before the scheduled time is not that intake
CLOCK_SKEW = timedelta(minutes=5)       # a device clock a little ahead is not "the future"

# Dose units a medication may be prescribed in (UCUM spellings FHIR sends map onto them).
DOSE_UNITS = {
    "mg": "mg", "g": "g", "mcg": "mcg", "ug": "mcg", "µg": "mcg", "ml": "mL", "mL": "mL", "IU": "IU",
    "[iU]": "IU", "[IU]": "IU", "unit": "unit", "units": "unit", "U": "unit", "tablet": "tablet",
    "tablets": "tablet", "{tbl}": "tablet", "{tablet}": "tablet", "capsule": "capsule", "capsules": "capsule",
    "{capsule}": "capsule", "puff": "puff", "puffs": "puff", "{puff}": "puff", "drop": "drop", "drops": "drop",
    "{drop}": "drop", "patch": "patch", "{patch}": "patch",
}
SOURCES_FROM_USERS = (Vital.Source.MANUAL, Vital.Source.DEVICE)


def _invalid(field_name: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message, code=code, fields={field_name: [message]})


def _require_aware(field_name: str, value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise _invalid(field_name, "Give a time zone (e.g. 2024-05-01T08:30:00Z).")
    return value


def _not_in_future(field_name: str, value: datetime, now: datetime) -> None:
    if value > now + CLOCK_SKEW:
        raise _invalid(field_name, "This time is in the future.")


# Patients ---------------------------------------------------------------------------------------

def may_manage_patients(*, user: User) -> bool:
    """Who does what to a patient they reach (``selectors.patient_get`` answers 404 to everyone else): its
    clinicians create, change and delete records, prescribe, import bundles and read and clear care alerts;
    a patient reads their own record and adds their readings and intakes (403 for the rest)."""
    return user.role == User.Role.CLINICIAN


def _next_patient_id() -> str:
    # PAT-### ids sort correctly as long as they have the same width; take the largest number in use.
    numbers = [int(pid.split("-", 1)[1]) for pid in Patient.objects.filter(patient_id__regex=r"^PAT-\d+$")
               .values_list("patient_id", flat=True)]
    return f"PAT-{max(numbers, default=0) + 1:03d}"


def _clean_patient_fields(*, name: str | None, date_of_birth: date | None, conditions: list[str] | None,
                          today: date) -> dict:
    cleaned = {}
    if name is not None:
        if not name.strip():
            raise _invalid("name", "A name is required.")
        cleaned["name"] = name.strip()
    if date_of_birth is not None:
        if date_of_birth > today:
            raise _invalid("date_of_birth", "The date of birth is in the future.")
        if date_of_birth < EARLIEST_DATE:
            raise _invalid("date_of_birth", "The date of birth is implausibly early.")
        cleaned["date_of_birth"] = date_of_birth
    if conditions is not None:
        seen = []
        for c in (c.strip() for c in conditions):
            if c and c not in seen:
                seen.append(c)
        cleaned["conditions"] = seen
    return cleaned


def patient_create(*, clinician: User, name: str, date_of_birth: date | None = None,
                   sex: str = Patient.Sex.UNKNOWN, conditions: list[str] | None = None,
                   patient_id: str | None = None) -> Patient:
    """A new patient record, assigned to the clinician who creates it. It is linked to no account: that is
    done in the admin."""
    if not may_manage_patients(user=clinician):
        raise ApplicationError("Only clinicians create patient records.", code="permission_denied", status_code=403)
    fields = _clean_patient_fields(name=name, date_of_birth=date_of_birth, conditions=conditions or [],
                                   today=timezone.localdate())
    if patient_id is not None:
        patient_id = patient_id.strip().upper()
        if not PATIENT_ID_RE.match(patient_id):
            raise _invalid("patient_id", "Use capital letters, a dash and digits, e.g. PAT-001.")
        if Patient.objects.filter(patient_id=patient_id).exists():
            raise _invalid("patient_id", "This patient id is already in use.")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                patient = Patient.objects.create(patient_id=patient_id or _next_patient_id(), sex=sex, **fields)
                CareAssignment.objects.create(clinician=clinician, patient=patient)
            return patient
        except IntegrityError:  # a concurrent create took the id first
            if patient_id is not None:
                raise _invalid("patient_id", "This patient id is already in use.") from None
    raise ApplicationError("Could not allocate a patient id; try again.", code="conflict", status_code=409)


def _saved_with(instance, fields: dict):
    """The instance with the changed fields set and saved (those only: a concurrent change to another survives)."""
    for name, value in fields.items():
        setattr(instance, name, value)
    if fields:
        instance.save(update_fields=list(fields))
    return instance


def patient_update(*, patient: Patient, name: str | None = None, date_of_birth: date | None = None,
                   sex: str | None = None, conditions: list[str] | None = None) -> Patient:
    fields = _clean_patient_fields(name=name, date_of_birth=date_of_birth, conditions=conditions,
                                   today=timezone.localdate())
    if sex is not None:
        fields["sex"] = sex
    return _saved_with(patient, fields)


def patient_delete(*, patient: Patient) -> None:
    """Removes the record with its vitals, medications, intakes and assignments."""
    patient.delete()


# Vitals -----------------------------------------------------------------------------------------

def vital_build(*, patient: Patient, kind: str, value: float, unit: str, measured_at: datetime,
                source: str = Vital.Source.MANUAL, now: datetime | None = None) -> Vital:
    """A validated, unsaved reading in its kind's canonical unit. Raises ApplicationError naming the field."""
    if kind not in thresholds.THRESHOLDS:
        raise _invalid("kind", f"Unknown kind; use one of: {', '.join(thresholds.KINDS)}.")
    try:
        canonical = thresholds.to_canonical(kind, value, unit)
    except thresholds.UnitError:
        raise _invalid("unit", f"This unit does not fit {kind}; use one of: "
                               f"{', '.join(thresholds.allowed_units(kind))}.", code="invalid_unit") from None
    except (TypeError, ValueError):
        raise _invalid("value", "A number is required.") from None
    threshold = thresholds.THRESHOLDS[kind]
    if not thresholds.is_plausible(kind, canonical):
        raise _invalid("value", f"Implausible {kind}: expected between {threshold.plausible_low:g} and "
                                f"{threshold.plausible_high:g} {threshold.unit}.", code="implausible")
    _require_aware("measured_at", measured_at)
    _not_in_future("measured_at", measured_at, now or timezone.now())
    return Vital(patient=patient, kind=kind, value=round(canonical, 2), unit=threshold.unit,
                 measured_at=measured_at, source=source)


def _user_source(source: str) -> None:
    if source not in SOURCES_FROM_USERS:
        raise _invalid("source", "Use manual or device; fhir is for bundle imports.")


def vital_record(*, patient: Patient, kind: str, value: float, unit: str, measured_at: datetime,
                 source: str = Vital.Source.MANUAL) -> Vital:
    _user_source(source)
    vital = vital_build(patient=patient, kind=kind, value=value, unit=unit, measured_at=measured_at, source=source)
    vital.save()
    return vital


def vitals_record(*, patient: Patient, readings: list[dict]) -> list[Vital]:
    """Several readings (e.g. systolic and diastolic of one measurement): all saved, or none.
    An error names the reading's position, e.g. ``1.unit``."""
    now = timezone.now()
    vitals = []
    for i, reading in enumerate(readings):
        try:
            _user_source(reading.get("source", Vital.Source.MANUAL))
            vitals.append(vital_build(patient=patient, now=now, **reading))
        except ApplicationError as exc:
            exc.fields = {f"{i}.{name}": msgs for name, msgs in (exc.fields or {}).items()}
            raise
    return Vital.objects.bulk_create(vitals)


# Care alerts ------------------------------------------------------------------------------------

def care_alert_raise(*, patient_user: User, kind: str) -> CareAlert | None:
    """Keep an alert on this user's patient record until a clinician marks it seen, and push it, once the
    transaction commits, to the clinicians online. None when the user has no record, so no care team to tell."""
    patient = Patient.objects.filter(user=patient_user).first()
    if patient is None:
        return None
    alert = CareAlert.objects.create(patient=patient, kind=kind)
    event = {"type": "patient.alert", "alert_id": alert.pk, "patient_id": patient.patient_id, "kind": kind,
             "message": f"{patient.patient_id}: {CareAlert.Kind(kind).label.lower()}; it may need your "
                        "attention today."}
    clinician_ids = list(patient.care_assignments.values_list("clinician_id", flat=True))

    def push():
        for clinician_id in clinician_ids:
            user_notify(user_id=clinician_id, event=event)

    # robust: the alert is kept whether or not the push reaches anyone.
    transaction.on_commit(push, robust=True)
    return alert


def care_alert_mark_seen(*, alert: CareAlert, clinician: User) -> CareAlert:
    """The first clinician to mark an alert seen is the one it names; marking it again changes nothing."""
    CareAlert.objects.filter(pk=alert.pk, seen_at__isnull=True).update(seen_at=timezone.now(), seen_by=clinician)
    alert.refresh_from_db()
    return alert


# Medications ------------------------------------------------------------------------------------

def _no_control_characters(field_name: str, value: str | None) -> None:
    # A NUL byte cannot be stored in PostgreSQL text (a FHIR import would fail at the insert), and other
    # control characters but tab and line breaks have no business in a name, schedule or prescriber.
    if value is not None and any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise _invalid(field_name, "Remove the control characters from this text.", code="control_characters")


def _clean_medication(*, name: str | None = None, dose: float | None = None, unit: str | None = None,
                      schedule: str | None = None, start: date | None = None, end: date | None = None,
                      prescriber: str | None = None, current: Medication | None = None) -> dict:
    for field_name, text in (("name", name), ("schedule", schedule), ("prescriber", prescriber)):
        _no_control_characters(field_name, text)
    cleaned = {}
    if name is not None:
        if not name.strip():
            raise _invalid("name", "A name is required.")
        cleaned["name"] = name.strip()[:150]
    if dose is not None:
        if not dose > 0 or dose > 100_000:
            raise _invalid("dose", "The dose must be a positive number.")
        cleaned["dose"] = float(dose)
    if unit is not None:
        if unit.strip() not in DOSE_UNITS:
            raise _invalid("unit", f"Use one of: {', '.join(sorted(set(DOSE_UNITS.values())))}.", code="invalid_unit")
        cleaned["unit"] = DOSE_UNITS[unit.strip()]
    if schedule is not None:
        if not schedule.strip():
            raise _invalid("schedule", "Say when it is taken, e.g. 'twice daily'.")
        cleaned["schedule"] = schedule.strip()[:100]
    if prescriber is not None:
        cleaned["prescriber"] = prescriber.strip()[:150]
    if start is not None:
        if start < EARLIEST_DATE:
            raise _invalid("start", "The start date is implausibly early.")
        cleaned["start"] = start
    if end is not None:
        cleaned["end"] = end
    effective_start = cleaned.get("start", current.start if current else None)
    effective_end = cleaned.get("end", current.end if current else None)
    if effective_start and effective_end and effective_end < effective_start:
        raise _invalid("end", "The end date is before the start date.")
    return cleaned


def medication_build(*, patient: Patient, name: str, dose: float, unit: str, schedule: str, start: date,
                     end: date | None = None, prescriber: str = "") -> Medication:
    """A validated, unsaved medication."""
    fields = _clean_medication(name=name, dose=dose, unit=unit, schedule=schedule, start=start, end=end,
                               prescriber=prescriber)
    return Medication(patient=patient, **fields)


def medication_create(*, patient: Patient, name: str, dose: float, unit: str, schedule: str, start: date,
                      end: date | None = None, prescriber: str | None = None,
                      prescribed_by: User | None = None) -> Medication:
    """A new medication. Without a ``prescriber``, the clinician prescribing it (``prescribed_by``), if any."""
    if prescriber is None:
        prescriber = prescribed_by.get_full_name() if prescribed_by is not None else ""
    medication = medication_build(patient=patient, name=name, dose=dose, unit=unit, schedule=schedule,
                                  start=start, end=end, prescriber=prescriber)
    medication.save()
    return medication


_UNSET = object()


def medication_update(*, medication: Medication, name: str | None = None, dose: float | None = None,
                      unit: str | None = None, schedule: str | None = None, start: date | None = None,
                      end: date | None | object = _UNSET, prescriber: str | None = None) -> Medication:
    """Changes the given fields; ``end=None`` reopens an ended medication, leaving it out keeps the end."""
    fields = _clean_medication(name=name, dose=dose, unit=unit, schedule=schedule, start=start,
                               end=None if end is _UNSET else end, prescriber=prescriber, current=medication)
    if end is None:
        fields["end"] = None
    return _saved_with(medication, fields)


# Intakes ----------------------------------------------------------------------------------------

def intake_status(*, scheduled_at: datetime, taken_at: datetime | None) -> str:
    """missed (not taken), taken (at most ON_TIME_WINDOW after the scheduled time) or late."""
    if taken_at is None:
        return MedicationIntake.Status.MISSED
    if taken_at - scheduled_at <= ON_TIME_WINDOW:
        return MedicationIntake.Status.TAKEN
    return MedicationIntake.Status.LATE


def intake_record(*, medication: Medication, scheduled_at: datetime,
                  taken_at: datetime | None = None) -> tuple[MedicationIntake, bool]:
    """Records one scheduled intake (taken_at None = missed); recording the same slot again corrects it.
    Returns the intake and whether it is new."""
    now = timezone.now()
    _require_aware("scheduled_at", scheduled_at)
    if taken_at is None:
        # A dose can only be missed once its time has passed.
        _not_in_future("scheduled_at", scheduled_at, now)
    else:
        _require_aware("taken_at", taken_at)
        _not_in_future("taken_at", taken_at, now)
        if taken_at < scheduled_at - EARLIEST_INTAKE:
            raise _invalid("taken_at", "Taken long before the scheduled time: record it against its own slot.")
    day = timezone.localtime(scheduled_at).date()
    if day < medication.start or (medication.end and day > medication.end):
        raise _invalid("scheduled_at", "Outside the medication's start and end dates.")
    status = intake_status(scheduled_at=scheduled_at, taken_at=taken_at)
    intake, created = MedicationIntake.objects.update_or_create(
        medication=medication, scheduled_at=scheduled_at, defaults={"taken_at": taken_at, "status": status})
    return intake, created


# FHIR -------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    vitals: int = 0
    medications: int = 0
    duplicates: int = 0
    skipped: list[dict] = field(default_factory=list)


def _not_yet_saved(items: list, saved, fields: tuple[str, ...], result: ImportResult) -> list:
    """items whose fields match no saved row nor an earlier item; the others count as duplicates."""
    seen = set(saved.values_list(*fields))
    fresh = []
    for item in items:
        key = tuple(getattr(item, name) for name in fields)
        if key in seen:
            result.duplicates += 1
        else:
            seen.add(key)
            fresh.append(item)
    return fresh


def fhir_bundle_import(*, patient: Patient, bundle: dict) -> ImportResult:
    """Imports the vital-sign Observations and MedicationStatements of a FHIR R4 Bundle into the patient:
    all of it in one transaction, or nothing. Readings and medications the patient already has (same
    kind, time and value; same name, dose and start) are not imported twice, so a re-import is harmless.

    Raises ApplicationError (400, code ``invalid_bundle``) naming each failing entry by index and fullUrl.
    """
    from meditrack.patients import fhir

    parsed = fhir.bundle_parse(bundle, patient_id=patient.patient_id)
    now = timezone.now()
    errors = fhir.EntryErrors()
    vitals: list[Vital] = []
    medications: list[Medication] = []
    for item in parsed.items:
        try:
            if isinstance(item, fhir.VitalReading):
                vitals.append(vital_build(patient=patient, kind=item.kind, value=item.value, unit=item.unit,
                                          measured_at=item.measured_at, source=Vital.Source.FHIR, now=now))
            else:
                medications.append(medication_build(patient=patient, name=item.name, dose=item.dose,
                                                    unit=item.unit, schedule=item.schedule, start=item.start,
                                                    end=item.end, prescriber=item.prescriber))
        except ApplicationError as exc:
            for name, messages in (exc.fields or {"": [exc.detail]}).items():
                errors.add(item.index, item.full_url, f"{item.fhir_path(name)}: {messages[0]}")
    errors.raise_if_any()

    result = ImportResult(skipped=parsed.skipped)
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)  # concurrent imports into one patient queue up
        new_vitals = _not_yet_saved(vitals, Vital.objects.filter(patient=patient), ("kind", "measured_at", "value"),
                                    result)
        new_meds = _not_yet_saved(medications, Medication.objects.filter(patient=patient), ("name", "dose", "start"),
                                  result)
        Vital.objects.bulk_create(new_vitals, batch_size=2000)
        Medication.objects.bulk_create(new_meds)
    result.vitals, result.medications = len(new_vitals), len(new_meds)
    return result
