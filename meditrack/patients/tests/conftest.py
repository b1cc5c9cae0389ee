"""Two care teams: Dr. Carol looks after Alice (PAT-001); Dr. Dan looks after Bob (PAT-002)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meditrack.patients.models import CareAssignment, Medication, Patient


@pytest.fixture
def other_record(other_patient, other_clinician):
    p = Patient.objects.create(patient_id="PAT-002", user=other_patient, name="Bob Example")
    CareAssignment.objects.create(clinician=other_clinician, patient=p)
    return p


@pytest.fixture
def medication(record):
    return Medication.objects.create(patient=record, name="Lisinopril", dose=10, unit="mg", schedule="once daily",
                                     start=timezone.localdate() - timedelta(days=60), prescriber="Dr. Carol")
