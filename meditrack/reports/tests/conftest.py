"""Report fixtures: a patient record cared for by one clinician (and not another), a small data set
whose facts are worked out by hand in test_facts.py."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from journal.models import EntryAnalysis, JournalEntry
from meditrack.patients.models import CareAssignment, Medication, MedicationIntake, Patient, Vital

DAYS = 31


@pytest.fixture
def period():
    """A 31-day range that ended a week ago."""
    date_to = timezone.localdate() - timedelta(days=7)
    return date_to - timedelta(days=DAYS - 1), date_to


def at(day, hour=8, minute=0, *, period):
    return datetime.combine(period[0] + timedelta(days=day), time(hour, minute), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def foreign_record(other_clinician):
    p = Patient.objects.create(patient_id="PAT-002", name="Bob Example")
    CareAssignment.objects.create(clinician=other_clinician, patient=p)
    return p


def vital(patient, kind, value, when, unit=""):
    from meditrack.patients.thresholds import CANONICAL_UNIT

    return Vital.objects.create(patient=patient, kind=kind, value=value, unit=unit or CANONICAL_UNIT[kind],
                                measured_at=when)


@pytest.fixture
def dataset(record, foreign_record, period):
    """The small data set of test_facts.py (see there for the facts by hand)."""
    for day, (s, d) in enumerate([(120, 80), (130, 85), (140, 90), (150, 95), (190, 125)]):
        vital(record, "bp_systolic", s, at(day, period=period))
        vital(record, "bp_diastolic", d, at(day, period=period))
    vital(record, "spo2", 97, at(0, period=period))
    vital(record, "spo2", 88, at(1, 21, 15, period=period))
    for day, w in ((0, 80), (7, 79.5), (14, 79)):
        vital(record, "weight", w, at(day, period=period))
    # Outside the range, or another patient's: not facts.
    vital(record, "bp_systolic", 250, at(-1, period=period))
    vital(record, "bp_systolic", 250, at(DAYS, period=period))
    vital(foreign_record, "bp_systolic", 250, at(2, period=period))

    lisinopril = Medication.objects.create(patient=record, name="Lisinopril", dose=10, unit="mg",
                                           schedule="once daily", start=period[0] - timedelta(days=10))
    statuses = ["taken"] * 7 + ["late"] * 2 + ["missed"]
    for day, status in enumerate(statuses):
        scheduled = at(day, 9, period=period)
        MedicationIntake.objects.create(medication=lisinopril, scheduled_at=scheduled, status=status,
                                        taken_at=None if status == "missed" else scheduled + timedelta(
                                            minutes=90 if status == "late" else 5))
    MedicationIntake.objects.create(medication=lisinopril, scheduled_at=at(-2, 9, period=period), status="missed")
    Medication.objects.create(patient=record, name="Metformin", dose=500, unit="mg", schedule="twice daily",
                              start=period[0] - timedelta(days=60), end=period[0] - timedelta(days=5))
    Medication.objects.create(patient=record, name="Atorvastatin", dose=20, unit="mg", schedule="once daily",
                              start=period[0] + timedelta(days=20))

    def entry(day, *, shared=True, status="done", label="positive", score=0.5):
        e = JournalEntry.objects.create(owner=record.user, text="private words", written_at=at(day, 20, period=period),
                                        shared_with_care_team=shared)
        EntryAnalysis.objects.create(entry=e, status=status, sentiment_label=label, score=score)

    entry(3, label="positive", score=0.5)
    entry(4, label="negative", score=-0.1)
    entry(5, status="pending", label="", score=None)
    entry(6, shared=False, label="negative", score=-0.9)
    entry(-3, label="negative", score=-0.9)
    return record

