from django.conf import settings
from django.db import models
from django.db.models import F, Q

from meditrack.patients.models import Patient


class AnalysisReport(models.Model):
    """An AI analysis report over a date range: facts computed from the records, then a narrative
    (written by a chat model and fact-checked, or rendered from the facts)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        COMPUTING_FACTS = "computing_facts"
        WRITING = "writing"
        CHECKING = "checking"
        DONE = "done"
        FAILED = "failed"

    class NarrativeSource(models.TextChoices):
        MODEL = "model", "Written by the model, every number checked"
        FACTS = "facts", "Rendered from the facts"

    FINISHED = (Status.DONE, Status.FAILED)

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="analysis_reports")
    # The report outlives its requester's account: it is part of the patient's record.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="requested_reports")
    date_from = models.DateField()
    date_to = models.DateField()
    # Both days whole in this time zone, the requester's when they asked (see meditrack.dateranges).
    time_zone = models.CharField(max_length=64, default="UTC")
    include_vitals = models.BooleanField(default=True)
    include_medications = models.BooleanField(default=True)
    include_journal = models.BooleanField(default=False)
    # sha256 of requester, patient, range and options: the same request within a minute is the same report.
    fingerprint = models.CharField(max_length=64)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # The task run that owns the report: a run that lost it (a redelivery took over) writes nothing more.
    run_id = models.UUIDField(null=True, blank=True)
    runs = models.PositiveSmallIntegerField(default=0)

    facts = models.JSONField(null=True, blank=True)
    narrative = models.TextField(blank=True)
    narrative_source = models.CharField(max_length=8, choices=NarrativeSource.choices, blank=True)
    model = models.CharField(max_length=100, blank=True, help_text="The chat model that was asked, if any.")
    # {"numbers": [...], "unsupported": [...], "attempts": n}: the last model draft's check.
    fact_check = models.JSONField(default=dict, blank=True)
    facts_ms = models.FloatField(null=True, blank=True)
    narrative_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    # Why the report failed, or why no model wrote its narrative (e.g. model_unavailable).
    error_code = models.CharField(max_length=40, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="report_patient_created"),
            models.Index(fields=["fingerprint", "created_at"], name="report_fingerprint_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(date_to__gte=F("date_from")), name="report_range_ordered"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
        ]

    def __str__(self):
        return f"Report {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def options(self) -> dict:
        return {"include_vitals": self.include_vitals, "include_medications": self.include_medications,
                "include_journal": self.include_journal}
