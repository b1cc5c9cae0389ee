import pytest

URL = "/api/v1/users/me"
pytestmark = pytest.mark.django_db


def test_it_shows_the_callers_profile(patient_api, patient):
    body = patient_api.get(URL).json()
    assert body["email"] == patient.email
    assert body["role"] == "patient"
    assert body["tier"] == "standard"
    assert "password" not in body


def test_it_updates_name_and_language(patient_api, patient):
    r = patient_api.patch(URL, {"display_name": "  Alice L. ", "language": "de"}, format="json")
    assert r.status_code == 200
    patient.refresh_from_db()
    assert (patient.display_name, patient.language) == ("Alice L.", "de")


def test_it_never_lets_a_user_raise_their_own_role_or_tier(patient_api, patient):
    r = patient_api.patch(URL, {"role": "admin", "tier": "enterprise"}, format="json")
    assert r.status_code == 200
    patient.refresh_from_db()
    assert (patient.role, patient.tier) == ("patient", "standard")


def test_it_rejects_an_unknown_language(patient_api):
    r = patient_api.patch(URL, {"language": "klingon"}, format="json")
    assert r.status_code == 400
    assert "language" in r.json()["error"]["fields"]


def test_it_requires_authentication(api):
    r = api.get(URL)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


def test_it_sets_a_known_time_zone_and_rejects_an_unknown_one(patient_api, patient):
    assert patient_api.patch(URL, {"time_zone": "Asia/Tokyo"}, format="json").json()["time_zone"] == "Asia/Tokyo"
    bad = patient_api.patch(URL, {"time_zone": "Mars/Olympus_Mons"}, format="json")
    assert bad.status_code == 400 and "time_zone" in bad.json()["error"]["fields"]
    patient.refresh_from_db()
    assert patient.time_zone == "Asia/Tokyo"
