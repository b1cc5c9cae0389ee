import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from meditrack.testing.people import PASSWORD, token_for

pytestmark = pytest.mark.django_db
ME = "/api/v1/users/me"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_logout_revokes_this_token_only(patient):
    this, other = token_for(patient), token_for(patient)
    assert bearer(this).post("/api/v1/auth/logout").status_code == 204
    assert bearer(this).get(ME).status_code == 401
    assert bearer(other).get(ME).status_code == 200


def test_logout_all_revokes_every_token_of_the_user_and_no_one_elses(patient, other_patient):
    mine, also_mine, theirs = token_for(patient), token_for(patient), token_for(other_patient)
    assert bearer(mine).post("/api/v1/auth/logout-all").status_code == 204
    assert bearer(mine).get(ME).status_code == 401
    assert bearer(also_mine).get(ME).status_code == 401
    assert bearer(theirs).get(ME).status_code == 200


def test_logout_needs_a_token(api):
    assert api.post("/api/v1/auth/logout").status_code == 401
    assert api.post("/api/v1/auth/logout-all").status_code == 401


def test_a_user_holds_at_most_the_capped_number_of_tokens_and_the_oldest_goes(api, patient, settings):
    settings.API_TOKENS_PER_USER = 3
    tokens = [api.post("/api/v1/auth/token", {"email": patient.email, "password": PASSWORD},
                       format="json").json()["token"] for _ in range(4)]
    assert AuthToken.objects.filter(user=patient).count() == 3
    assert bearer(tokens[0]).get(ME).status_code == 401
    assert all(bearer(token).get(ME).status_code == 200 for token in tokens[1:])


def test_a_password_change_revokes_every_token(patient):
    token = token_for(patient)
    patient.set_password("a brand new passphrase")
    patient.save()
    assert bearer(token).get(ME).status_code == 401


def test_saving_a_user_without_a_new_password_keeps_their_tokens(patient):
    token = token_for(patient)
    patient.display_name = "Alice B."
    patient.save()
    assert bearer(token).get(ME).status_code == 200
