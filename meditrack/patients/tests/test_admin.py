"""The admin links records by role: access follows the role, so a link to the wrong kind of account would
silently grant nothing."""

import pytest

from meditrack.patients.models import CareAssignment, Patient

pytestmark = pytest.mark.django_db
ASSIGN = "/admin/patients/careassignment/add/"
ADD_PATIENT = "/admin/patients/patient/add/"


def test_it_assigns_a_clinician_to_a_patient(admin_client, record, other_clinician):
    response = admin_client.post(ASSIGN, {"patient": record.pk, "clinician": other_clinician.pk})

    assert response.status_code == 302
    assert CareAssignment.objects.filter(patient=record, clinician=other_clinician).exists()


def test_it_refuses_a_patient_account_as_a_clinician(admin_client, record, other_patient):
    response = admin_client.post(ASSIGN, {"patient": record.pk, "clinician": other_patient.pk})

    assert response.status_code == 200
    assert "clinician" in response.context["adminform"].form.errors
    assert not CareAssignment.objects.filter(clinician=other_patient).exists()


def test_it_refuses_a_clinician_account_as_a_patients_own(admin_client, other_clinician):
    response = admin_client.post(ADD_PATIENT, {
        "patient_id": "PAT-100", "name": "Eve Example", "sex": "unknown", "conditions": "[]",
        "user": other_clinician.pk,
        "care_assignments-TOTAL_FORMS": 0, "care_assignments-INITIAL_FORMS": 0,
        "medications-TOTAL_FORMS": 0, "medications-INITIAL_FORMS": 0,
    })

    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not Patient.objects.filter(patient_id="PAT-100").exists()


def test_the_clinician_search_offers_only_clinicians(admin_client, record, other_clinician, other_patient):
    response = admin_client.get("/admin/autocomplete/", {
        "app_label": "patients", "model_name": "careassignment", "field_name": "clinician", "term": "example"})

    emails = {row["text"] for row in response.json()["results"]}
    assert str(other_clinician) in emails
    assert str(other_patient) not in emails
