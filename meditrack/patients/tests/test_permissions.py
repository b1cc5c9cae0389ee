"""Every patient endpoint, tried as someone who may and as everyone who may not: another clinician,
another patient (404, as for a patient that does not exist) and no one (401)."""

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": []}


def endpoints(medication_id):
    vital = {"kind": "heart_rate", "value": 70, "unit": "bpm", "measured_at": NOW.isoformat()}
    intake = {"medication": medication_id, "scheduled_at": NOW.isoformat(), "taken_at": NOW.isoformat()}
    base = "/api/v1/patients/PAT-001"
    return [
        ("get", base, None),
        ("patch", base, {"name": "Renamed"}),
        ("delete", base, None),
        ("get", f"{base}/vitals", None),
        ("post", f"{base}/vitals", vital),
        ("get", f"{base}/medications", None),
        ("post", f"{base}/medications", {"name": "X", "dose": 1, "unit": "mg", "schedule": "daily",
                                         "start": "2024-01-01"}),
        ("get", f"{base}/medications/{medication_id}", None),
        ("patch", f"{base}/medications/{medication_id}", {"dose": 20}),
        ("get", f"{base}/intakes", None),
        ("post", f"{base}/intakes", intake),
        ("get", f"{base}/fhir", None),
        ("post", f"{base}/fhir", BUNDLE),
    ]


def call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


@pytest.mark.parametrize("index", range(13))
def test_it_hides_the_patient_from_another_clinician(index, other_clinician_api, medication, other_record):
    method, url, body = endpoints(medication.pk)[index]
    r = call(other_clinician_api, method, url, body)
    assert r.status_code == 404, (method, url)
    assert r.json() == {"error": {"code": "not_found", "detail": "Not found."}}


@pytest.mark.parametrize("index", range(13))
def test_it_hides_the_patient_from_another_patient(index, other_patient_api, medication, other_record):
    method, url, body = endpoints(medication.pk)[index]
    assert call(other_patient_api, method, url, body).status_code == 404, (method, url)


@pytest.mark.parametrize("index", range(13))
def test_it_answers_a_foreign_and_an_unknown_patient_alike(index, other_clinician_api, medication):
    method, url, body = endpoints(medication.pk)[index]
    foreign = call(other_clinician_api, method, url, body)
    unknown = call(other_clinician_api, method, url.replace("PAT-001", "PAT-999"), body)
    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())


@pytest.mark.parametrize("index", range(13))
def test_it_requires_authentication(index, api, medication):
    method, url, body = endpoints(medication.pk)[index]
    r = call(api, method, url, body)
    assert r.status_code == 401, (method, url)
    assert r.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("index", range(13))
def test_it_lets_the_patients_clinician_do_everything(index, clinician_api, medication):
    method, url, body = endpoints(medication.pk)[index]
    assert call(clinician_api, method, url, body).status_code in (200, 201, 204), (method, url)


@pytest.mark.parametrize(("index", "allowed"), [
    (0, True), (1, False), (2, False), (3, True), (4, True), (5, True), (6, False), (7, True), (8, False),
    (9, True), (10, True), (11, True), (12, False),
])
def test_the_patient_reads_their_record_and_records_readings_and_intakes(index, allowed, patient_api, medication):
    method, url, body = endpoints(medication.pk)[index]
    r = call(patient_api, method, url, body)
    if allowed:
        assert r.status_code in (200, 201), (method, url)
    else:
        assert r.status_code == 403, (method, url)
        assert r.json()["error"]["code"] == "permission_denied"


def test_the_list_holds_only_the_patients_the_user_may_reach(clinician_api, other_clinician_api, patient_api,
                                                              other_patient_api, record, other_record, api):
    def ids(client):
        return [p["patient_id"] for p in client.get("/api/v1/patients/").json()["results"]]

    assert ids(clinician_api) == ["PAT-001"]
    assert ids(other_clinician_api) == ["PAT-002"]
    assert ids(patient_api) == ["PAT-001"]
    assert ids(other_patient_api) == ["PAT-002"]
    assert api.get("/api/v1/patients/").status_code == 401


def test_an_admin_uses_the_admin_not_the_api(db, record):
    from meditrack.testing.people import api_for, make_user

    admin = api_for(make_user("root@example.com", role="admin", is_staff=True, is_superuser=True))
    assert admin.get("/api/v1/patients/").json()["results"] == []
    assert admin.get("/api/v1/patients/PAT-001").status_code == 404
    assert admin.post("/api/v1/patients/", {"name": "X"}, format="json").status_code == 403


def test_a_medication_of_another_patient_is_not_reachable_through_ones_own(clinician_api, record, other_record):
    from meditrack.patients.models import Medication

    foreign = Medication.objects.create(patient=other_record, name="X", dose=1, unit="mg", schedule="daily",
                                        start="2024-01-01")
    assert clinician_api.get(f"/api/v1/patients/PAT-001/medications/{foreign.pk}").status_code == 404
    r = clinician_api.post("/api/v1/patients/PAT-001/intakes",
                           {"medication": foreign.pk, "scheduled_at": NOW.isoformat()}, format="json")
    assert r.status_code == 404
    assert not foreign.intakes.exists()


@pytest.mark.parametrize("patient_id", ["PAT%00", "PAT-001%00", "%00", "pat-001", "PAT-001%20"])
def test_it_answers_404_for_an_id_that_is_no_patient_id(clinician_api, client, clinician, medication, patient_id):
    # An id PostgreSQL would refuse (a NUL byte: DataError, a 500) is no patient's: 404.
    for url in (f"/api/v1/patients/{patient_id}", f"/api/v1/patients/{patient_id}/vitals"):
        r = clinician_api.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert r.json() == {"error": {"code": "not_found", "detail": "Not found."}}
    client.force_login(clinician)
    assert client.get(f"/patients/{patient_id}/").status_code == 404


def test_it_checks_patient_ids_against_one_pattern(clinician, record):
    from django.http import Http404

    from meditrack.patients import models, selectors

    assert any(getattr(v, "regex", None) == models.PATIENT_ID_RE
               for v in models.Patient._meta.get_field("patient_id").validators)  # the admin form checks it too
    assert selectors.patient_get(user=clinician, patient_id="PAT-001") == record
    with pytest.raises(Http404):
        selectors.patient_get(user=clinician, patient_id="PAT-001\x00")
