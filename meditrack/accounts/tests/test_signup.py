import pytest

from meditrack.accounts.models import User

URL = "/api/v1/auth/signup"
pytestmark = pytest.mark.django_db


def test_it_creates_a_patient_and_returns_a_working_token(api):
    r = api.post(URL, {"email": "New.Person@Example.com", "password": "a long enough secret", "display_name": "New"},
                 format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["email"] == "new.person@example.com"
    assert body["user"]["role"] == "patient"
    assert body["user"]["tier"] == "standard"
    me = api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["display_name"] == "New"


def test_it_rejects_a_weak_password_naming_the_field(api):
    r = api.post(URL, {"email": "x@example.com", "password": "12345678"}, format="json")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid"
    assert "password" in error["fields"]
    assert not User.objects.filter(email="x@example.com").exists()


def test_it_rejects_a_duplicate_email_whatever_its_case(api, patient):
    r = api.post(URL, {"email": patient.email.upper(), "password": "another long secret"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["email"] == ["An account with this email already exists."]
    assert User.objects.count() == 1


def test_it_ignores_a_role_sent_by_the_client(api):
    r = api.post(URL, {"email": "sneaky@example.com", "password": "a long enough secret", "role": "admin"},
                 format="json")
    assert r.status_code == 201
    assert User.objects.get(email="sneaky@example.com").role == User.Role.PATIENT


def test_it_answers_malformed_json_with_the_error_shape(api):
    r = api.generic("POST", URL, '{"email": ', content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("payload", [
    {},
    {"email": "not-an-email", "password": "a long enough secret"},
    {"email": ["a@b.c"], "password": "a long enough secret"},
    {"email": "a@example.com", "password": {"nested": True}},
])
def test_it_rejects_missing_fields_and_wrong_types(api, payload):
    r = api.post(URL, payload, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]
    assert User.objects.count() == 0


def test_it_rejects_a_body_that_is_not_an_object(api):
    r = api.post(URL, ["a", "list"], format="json")
    assert r.status_code == 400
    assert "Expected a dictionary" in r.json()["error"]["detail"]


def test_it_answers_an_oversize_body_with_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = api.post(URL, {"email": "big@example.com", "password": "x" * 2000}, format="json")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_it_answers_a_wrong_media_type_with_415(api):
    r = api.generic("POST", URL, "email=a@b.c", content_type="text/plain")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"


def test_it_throttles_repeated_attempts_with_retry_after(api):
    statuses = [api.post(URL, {}, format="json").status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    r = api.post(URL, {}, format="json")
    assert r.json()["error"]["code"] == "throttled"
    assert int(r["Retry-After"]) > 0
