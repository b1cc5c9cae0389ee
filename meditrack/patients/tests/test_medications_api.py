from datetime import timedelta

import pytest
from django.utils import timezone

from meditrack.patients.models import Medication

pytestmark = pytest.mark.django_db
URL = "/api/v1/patients/PAT-001/medications"


def test_the_clinician_prescribes_and_is_the_prescriber_by_default(clinician_api, record):
    r = clinician_api.post(URL, {"name": "Amlodipine", "dose": 5, "unit": "mg", "schedule": "once daily",
                                 "start": "2024-03-01"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert (body["name"], body["dose"], body["unit"], body["prescriber"], body["end"]) == \
        ("Amlodipine", 5, "mg", "Dr. Carol", None)


@pytest.mark.parametrize(("change", "field"), [
    ({"dose": 0}, "dose"),
    ({"dose": -5}, "dose"),
    ({"unit": "mmHg"}, "unit"),
    ({"schedule": "  "}, "schedule"),
    ({"end": "2024-02-01"}, "end"),
    ({"name": ""}, "name"),
])
def test_it_rejects_a_bad_prescription_with_the_field(clinician_api, record, change, field):
    body = {"name": "Amlodipine", "dose": 5, "unit": "mg", "schedule": "once daily", "start": "2024-03-01", **change}
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]
    assert not Medication.objects.exists()


def test_it_lists_medications_with_adherence(patient_api, record, medication):
    from meditrack.patients.tests.test_intakes_api import record_intakes

    record_intakes(medication, taken=6, late=2, missed=2)
    [body] = patient_api.get(URL).json()
    assert body["name"] == "Lisinopril"
    assert body["adherence"] == {"medication_id": medication.pk, "scheduled": 10, "taken": 6, "late": 2,
                                 "missed": 2, "adherence": 0.8, "on_time": 0.6}


def test_a_medication_without_intakes_has_no_adherence_figure(patient_api, medication):
    [body] = patient_api.get(URL).json()
    assert (body["adherence"]["scheduled"], body["adherence"]["adherence"]) == (0, None)


def test_the_clinician_ends_a_medication(clinician_api, medication):
    r = clinician_api.patch(f"{URL}/{medication.pk}", {"end": str(medication.start)}, format="json")
    assert r.status_code == 200 and r.json()["end"] == str(medication.start)
    r = clinician_api.patch(f"{URL}/{medication.pk}", {"end": str(medication.start - timedelta(days=1))}, format="json")
    assert r.status_code == 400 and "end" in r.json()["error"]["fields"]
    r = clinician_api.patch(f"{URL}/{medication.pk}", {"end": None}, format="json")
    assert r.status_code == 200 and r.json()["end"] is None


def test_the_patient_may_not_prescribe(patient_api, record):
    r = patient_api.post(URL, {"name": "Anything", "dose": 1, "unit": "mg", "schedule": "daily",
                               "start": "2024-01-01"}, format="json")
    assert r.status_code == 403
    assert not Medication.objects.exists()


def test_it_makes_the_prescribing_clinician_the_default_prescriber_in_the_service(record, clinician):
    from meditrack.patients import services

    fields = {"patient": record, "name": "Amlodipine", "dose": 5, "unit": "mg", "schedule": "once daily",
              "start": timezone.localdate()}
    assert services.medication_create(**fields, prescribed_by=clinician).prescriber == "Dr. Carol"
    assert services.medication_create(**fields, prescribed_by=clinician, prescriber="Dr. Who").prescriber == "Dr. Who"
    assert services.medication_create(**fields, prescribed_by=clinician, prescriber="").prescriber == ""
    assert services.medication_create(**fields).prescriber == ""


def test_it_rejects_control_characters_in_a_prescription(record):
    from meditrack.errors import ApplicationError
    from meditrack.patients import services

    for name, value in (("name", "Amlo\x00dipine"), ("schedule", "once\x07daily"), ("prescriber", "Dr.\x00Who")):
        fields = {"patient": record, "name": "Amlodipine", "dose": 5, "unit": "mg", "schedule": "once daily",
                  "start": timezone.localdate(), name: value}
        with pytest.raises(ApplicationError) as caught:
            services.medication_create(**fields)
        assert list(caught.value.fields) == [name]
    assert not Medication.objects.exists()
