"""Hostile request bodies are refused with a 400, never a server error."""

import pytest

pytestmark = pytest.mark.django_db
DEEP = "[" * 200_000


def test_deeply_nested_json_to_the_api_is_a_400(api):
    r = api.post("/api/v1/auth/signup", DEEP, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("media_type", ["application/json", "application/fhir+json"])
def test_deeply_nested_json_to_the_fhir_import_is_a_400(clinician_api, record, media_type):
    r = clinician_api.post(f"/api/v1/patients/{record.patient_id}/fhir", DEEP, content_type=media_type)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"
