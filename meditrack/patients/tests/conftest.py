"""Two care teams: Dr. Carol looks after Alice (PAT-001); Dr. Dan looks after Bob (PAT-002)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import make_user
from meditrack.accounts.models import User
from meditrack.patients.models import CareAssignment, Medication, Patient


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_clinician(db):
    return make_user("dr.dan@example.com", role=User.Role.CLINICIAN, display_name="Dr. Dan")


@pytest.fixture
def record(patient, clinician):
    p = Patient.objects.create(patient_id="PAT-001", user=patient, name="Alice Example",
                               date_of_birth=date(1970, 5, 1), sex="female", conditions=["Hypertension"])
    CareAssignment.objects.create(clinician=clinician, patient=p)
    return p


@pytest.fixture
def other_record(other_patient, other_clinician):
    p = Patient.objects.create(patient_id="PAT-002", user=other_patient, name="Bob Example")
    CareAssignment.objects.create(clinician=other_clinician, patient=p)
    return p


@pytest.fixture
def clinician_api(clinician):
    return client_for(clinician)


@pytest.fixture
def other_clinician_api(other_clinician):
    return client_for(other_clinician)


@pytest.fixture
def other_patient_api(other_patient):
    return client_for(other_patient)


@pytest.fixture
def medication(record):
    return Medication.objects.create(patient=record, name="Lisinopril", dose=10, unit="mg", schedule="once daily",
                                     start=timezone.localdate() - timedelta(days=60), prescriber="Dr. Carol")
