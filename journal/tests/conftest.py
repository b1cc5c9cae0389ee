import time

import pytest
from rest_framework.test import APIClient

from meditrack.accounts.models import User
from meditrack.inference.tests.conftest import model_server  # noqa: F401  (the loopback model server)
from meditrack.patients.models import CareAssignment, Patient


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2):
    """Poll what a worker is doing in another thread until it holds, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise AssertionError(f"not done within {timeout} s")


@pytest.fixture
def other_api(other_patient):
    client = APIClient()
    client.force_authenticate(other_patient)
    return client


@pytest.fixture
def patient_record(patient, clinician):
    """Alice's patient record, with Dr. Carol assigned to her."""
    record = Patient.objects.create(patient_id="PAT-900", user=patient, name="Alice")
    CareAssignment.objects.create(clinician=clinician, patient=record)
    return record


@pytest.fixture
def other_clinician(db):
    return User.objects.create_user(email="dr.dan@example.com", password="x", role=User.Role.CLINICIAN)
