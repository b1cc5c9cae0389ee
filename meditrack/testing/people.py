"""A patient who may, another who may not, two clinicians, Alice's record, and API clients signed in as each."""

from datetime import date

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from meditrack.accounts.models import User
from meditrack.patients.models import CareAssignment, Patient

PASSWORD = "correct horse battery staple"


def make_user(email, role=User.Role.PATIENT, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_for(user) -> str:
    """A bearer token, for clients outside this process (a Procfile process, a websocket)."""
    return AuthToken.objects.create(user=user)[1]


@pytest.fixture
def patient(db):
    return make_user("alice@example.com", display_name="Alice")


@pytest.fixture
def other_patient(db):
    return make_user("bob@example.com", display_name="Bob")


@pytest.fixture
def clinician(db):
    return make_user("dr.carol@example.com", role=User.Role.CLINICIAN, display_name="Dr. Carol")


@pytest.fixture
def other_clinician(db):
    return make_user("dr.dan@example.com", role=User.Role.CLINICIAN, display_name="Dr. Dan")


@pytest.fixture
def record(patient, clinician):
    """Alice's patient record, PAT-001, with Dr. Carol assigned to her and nobody else."""
    p = Patient.objects.create(patient_id="PAT-001", user=patient, name="Alice Example",
                               date_of_birth=date(1970, 5, 1), sex="female", conditions=["Hypertension"])
    CareAssignment.objects.create(clinician=clinician, patient=p)
    return p


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def clinician_api(clinician):
    return api_for(clinician)


@pytest.fixture
def other_clinician_api(other_clinician):
    return api_for(other_clinician)


@pytest.fixture
def other_patient_api(other_patient):
    return api_for(other_patient)


@pytest.fixture
def patient_api(patient):
    return api_for(patient)
