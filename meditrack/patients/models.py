import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

# A public patient id: capital letters, a dash and digits, e.g. PAT-001. The API, the admin and every
# lookup check it (a lookup of anything else, a NUL byte say, is a 404 without a query).
PATIENT_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{1,8}\Z")  # \Z: "PAT-001\n" is not one


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female"
        MALE = "male"
        OTHER = "other"
        UNKNOWN = "unknown"

    patient_id = models.CharField(max_length=20, unique=True, help_text="Stable public id, e.g. PAT-001.",
                                  validators=[RegexValidator(PATIENT_ID_RE, "Use capital letters, a dash and "
                                                                            "digits, e.g. PAT-001.")])
    # Access follows the role: a clinician's account linked here, or a patient's assigned below, would reach nothing.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                limit_choices_to={"role": "patient"}, related_name="patient_record",
                                help_text="The patient's own account, if any.")
    name = models.CharField(max_length=150)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    conditions = models.JSONField(default=list, blank=True, help_text="A list of condition names.")
    clinicians = models.ManyToManyField(settings.AUTH_USER_MODEL, through="CareAssignment",
                                        related_name="assigned_patients")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["patient_id"]

    def __str__(self):
        return self.patient_id


class CareAssignment(models.Model):
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_assignments",
                                  limit_choices_to={"role": "clinician"})
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_assignments")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinician", "patient"], name="care_assignment_once")]

    def __str__(self):
        return f"{self.clinician} → {self.patient}"


class CareAlert(models.Model):
    """Something about a patient that their clinicians should see, kept until one of them marks it seen: the
    live notification reaches only the clinicians online at that moment. It says what kind of thing happened,
    never the patient's words."""

    class Kind(models.TextChoices):
        CRISIS_LANGUAGE = "crisis_language", "Crisis or self-harm language in the journal"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    raised_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["patient", "seen_at"], name="alert_patient_seen")]

    def __str__(self):
        return f"{self.patient} {self.kind} ({'seen' if self.seen_at else 'open'})"


class Vital(models.Model):
    class Kind(models.TextChoices):
        SYSTOLIC = "bp_systolic", "Blood pressure, systolic"
        DIASTOLIC = "bp_diastolic", "Blood pressure, diastolic"
        HEART_RATE = "heart_rate", "Heart rate"
        GLUCOSE = "glucose", "Blood glucose"
        WEIGHT = "weight", "Weight"
        TEMPERATURE = "temperature", "Body temperature"
        SPO2 = "spo2", "Oxygen saturation"
        RESPIRATORY_RATE = "respiratory_rate", "Respiratory rate"

    class Source(models.TextChoices):
        MANUAL = "manual"
        DEVICE = "device"
        FHIR = "fhir"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="vitals")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.FloatField()
    unit = models.CharField(max_length=16)
    measured_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["measured_at", "id"]
        indexes = [
            models.Index(fields=["patient", "kind", "measured_at"], name="vital_patient_kind_time"),
            # The patient list's latest reading of any kind.
            models.Index(fields=["patient", "measured_at"], name="vital_patient_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.value:g} {self.unit}"


class Medication(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=150)
    dose = models.FloatField()
    unit = models.CharField(max_length=16)
    schedule = models.CharField(max_length=100, help_text="e.g. 'twice daily' or 'every 8 hours'.")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    prescriber = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["start", "id"]
        constraints = [models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                                              name="medication_end_after_start")]

    def __str__(self):
        return f"{self.name} {self.dose:g} {self.unit}"


class MedicationIntake(models.Model):
    class Status(models.TextChoices):
        TAKEN = "taken"
        LATE = "late"
        MISSED = "missed"

    medication = models.ForeignKey(Medication, on_delete=models.CASCADE, related_name="intakes")
    scheduled_at = models.DateTimeField()
    taken_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [models.Index(fields=["medication", "scheduled_at"], name="intake_medication_time")]
        constraints = [
            models.UniqueConstraint(fields=["medication", "scheduled_at"], name="intake_once_per_slot"),
            models.CheckConstraint(condition=Q(status="missed", taken_at__isnull=True)
                                   | (~Q(status="missed") & Q(taken_at__isnull=False)),
                                   name="intake_taken_at_matches_status"),
        ]

    def __str__(self):
        return f"{self.medication} at {self.scheduled_at:%Y-%m-%d %H:%M} ({self.status})"
