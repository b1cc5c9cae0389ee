"""Clinicians' and admins' access to patient data is recorded: who, which record, when, and never
the medical text itself."""

import pytest
from django.test import Client

from meditrack.accounts.models import AccessRecord
from meditrack.testing.people import make_user

pytestmark = pytest.mark.django_db


def test_a_clinician_reading_a_patient_is_recorded(clinician_api, clinician, record):
    assert clinician_api.get("/api/v1/patients/PAT-001").status_code == 200
    (entry,) = AccessRecord.objects.all()
    assert (entry.actor, entry.actor_email, entry.method, entry.route, entry.record, entry.status) == (
        clinician, clinician.email, "GET", "api-patient", {"patient_id": "PAT-001"}, 200)
    assert entry.at is not None


def test_a_refused_attempt_is_recorded_too(other_clinician_api, other_clinician, record):
    assert other_clinician_api.get("/api/v1/patients/PAT-001").status_code == 404
    assert AccessRecord.objects.get().status == 404


def test_what_was_written_is_not_kept(clinician_api, record):
    note = "Reports chest pain at night"
    clinician_api.post("/api/v1/patients/PAT-001/medications",
                       {"name": note, "dose": "5 mg", "frequency": "daily"}, format="json")
    (entry,) = AccessRecord.objects.all()
    assert entry.record == {"patient_id": "PAT-001"}
    assert note not in str(AccessRecord.objects.values().get())


def test_a_patient_reading_their_own_record_is_not_recorded(patient_api, record):
    assert patient_api.get("/api/v1/patients/PAT-001").status_code == 200
    assert not AccessRecord.objects.exists()


def test_the_clinicians_page_and_the_reports_filter_are_recorded(clinician, record):
    browser = Client()
    browser.force_login(clinician)
    browser.get("/patients/PAT-001/")
    browser.get("/reports/?patient=PAT-001&q=chest+pain")
    assert [entry.record for entry in AccessRecord.objects.order_by("at")] == [
        {"patient_id": "PAT-001"}, {"patient": "PAT-001"}]


def test_an_admin_opening_a_record_in_the_admin_is_recorded_and_can_read_the_log(record):
    admin = make_user("root@example.com", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    assert browser.get(f"/admin/patients/patient/{record.pk}/change/").status_code == 200
    entry = AccessRecord.objects.get()
    assert (entry.actor, entry.route, entry.record) == (
        admin, "admin:patients_patient_change", {"object_id": str(record.pk)})
    assert browser.get("/admin/accounts/accessrecord/").status_code == 200
    assert browser.get(f"/admin/accounts/accessrecord/{entry.pk}/change/").status_code == 200


@pytest.mark.parametrize("hostile", ["PAT%00-001", "PAT%ED%A0%80"])
def test_a_hostile_id_is_recorded_not_a_server_error(clinician_api, record, hostile):
    assert clinician_api.get(f"/api/v1/patients/{hostile}").status_code == 404
    assert AccessRecord.objects.get().status == 404
