from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from meditrack.testing.people import PASSWORD

URL = "/api/v1/auth/token"
pytestmark = pytest.mark.django_db


def test_it_exchanges_credentials_for_a_bearer_token(api, patient):
    r = api.post(URL, {"email": "ALICE@example.com", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    token = r.json()["token"]
    assert api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()["email"] == patient.email


def test_it_answers_a_wrong_password_with_401(api, patient):
    r = api.post(URL, {"email": patient.email, "password": "wrong password"}, format="json")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_credentials"


def test_it_does_not_tell_an_unknown_email_from_a_wrong_password(api, patient):
    unknown = api.post(URL, {"email": "nobody@example.com", "password": PASSWORD}, format="json")
    wrong = api.post(URL, {"email": patient.email, "password": "nope nope nope"}, format="json")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_it_refuses_an_inactive_user(api, patient):
    patient.is_active = False
    patient.save()
    assert api.post(URL, {"email": patient.email, "password": PASSWORD}, format="json").status_code == 401


def test_a_wrong_token_is_401_not_500(api, patient):
    for header in ["Bearer nonsense", "Bearer ", "Bearer " + "a" * 500, "Basic Zm9vOmJhcg=="]:
        r = api.get("/api/v1/users/me", HTTP_AUTHORIZATION=header)
        assert r.status_code == 401, header
        assert "error" in r.json()


def test_an_expired_token_is_401(api, patient):
    instance, token = AuthToken.objects.create(user=patient)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    r = api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == "Bearer"
