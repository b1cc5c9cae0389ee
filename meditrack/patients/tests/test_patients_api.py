import pytest

from meditrack.patients.models import CareAssignment, Patient

pytestmark = pytest.mark.django_db
URL = "/api/v1/patients/"


def test_it_creates_a_patient_with_the_next_id_and_assigns_the_clinician(clinician_api, clinician, record):
    r = clinician_api.post(URL, {"name": "  Dana Doe ", "date_of_birth": "1980-02-03", "sex": "female",
                                 "conditions": ["Type 2 diabetes", "Type 2 diabetes", " "]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["patient_id"] == "PAT-002"
    assert (body["name"], body["conditions"], body["has_account"]) == ("Dana Doe", ["Type 2 diabetes"], False)
    assert body["clinicians"] == [{"id": clinician.pk, "display_name": "Dr. Carol"}]
    assert CareAssignment.objects.filter(clinician=clinician, patient__patient_id="PAT-002").exists()
    assert clinician_api.get(URL + "PAT-002").status_code == 200


def test_it_links_no_account_through_the_api_and_reveals_no_email(clinician_api, clinician, other_patient):
    # Linking a record to an account is for the admin: a clinician who could link any patient account by
    # email would read what that patient shares and get their alerts, and could probe which emails exist.
    answers = []
    for email in ("bob@example.com", "BOB@example.com", "dr.carol@example.com", "nobody@example.com"):
        r = clinician_api.post(URL, {"name": "Bob", "user_email": email}, format="json")
        assert r.status_code == 400, r.json()
        assert list(r.json()["error"]["fields"]) == ["user_email"]
        answers.append(r.json())
    assert all(a == answers[0] for a in answers)  # the same answer whether or not the account exists
    assert not Patient.objects.exists()
    assert not Patient.objects.filter(user=other_patient).exists()


def test_it_accepts_a_chosen_id_once(clinician_api):
    r = clinician_api.post(URL, {"name": "X", "patient_id": "ext-42"}, format="json")
    assert r.json()["patient_id"] == "EXT-42"
    r = clinician_api.post(URL, {"name": "Y", "patient_id": "EXT-42"}, format="json")
    assert r.status_code == 400 and "patient_id" in r.json()["error"]["fields"]
    r = clinician_api.post(URL, {"name": "Y", "patient_id": "no spaces/please"}, format="json")
    assert r.status_code == 400 and "patient_id" in r.json()["error"]["fields"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": " "}, "name"),
    ({"name": "X", "date_of_birth": "2999-01-01"}, "date_of_birth"),
    ({"name": "X", "sex": "robot"}, "sex"),
    ({}, "name"),
])
def test_it_rejects_bad_patient_input_with_the_field(clinician_api, body, field):
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]


def test_a_patient_cannot_create_patients(patient_api):
    r = patient_api.post(URL, {"name": "Me again"}, format="json")
    assert r.status_code == 403
    assert not Patient.objects.exists()


def test_it_updates_only_the_given_fields(clinician_api, record):
    r = clinician_api.patch(URL + "PAT-001", {"conditions": ["Hypertension", "Asthma"]}, format="json")
    assert r.status_code == 200
    record.refresh_from_db()
    assert (record.name, record.conditions) == ("Alice Example", ["Hypertension", "Asthma"])


def test_it_deletes_a_patient_with_their_data(clinician_api, record, medication):
    assert clinician_api.delete(URL + "PAT-001").status_code == 204
    assert not Patient.objects.exists()
    assert clinician_api.get(URL + "PAT-001").status_code == 404


def test_the_patient_reads_their_own_record(patient_api, record):
    body = patient_api.get(URL + "PAT-001").json()
    assert (body["patient_id"], body["has_account"], body["date_of_birth"]) == ("PAT-001", True, "1970-05-01")
