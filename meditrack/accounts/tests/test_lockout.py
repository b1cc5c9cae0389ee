"""Repeated wrong passwords lock out the address and the account, on every way in: the API's token
endpoint, the login page and the admin's. The HTML signup shares the API's per-address throttle."""

import pytest
from django.test import Client

from meditrack.testing.people import PASSWORD, make_user

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token"
LIMIT = 3


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def token_attempt(api, email, password, address):
    return api.post(TOKEN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


def test_wrong_passwords_from_many_addresses_lock_the_account(api, patient, other_patient):
    answers = [token_attempt(api, patient.email, "wrong password", f"192.0.2.{attempt}").status_code
               for attempt in range(LIMIT)]
    assert answers == [401] * (LIMIT - 1) + [429]
    locked = token_attempt(api, patient.email.upper(), PASSWORD, "198.51.100.1")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert token_attempt(api, other_patient.email, PASSWORD, "198.51.100.1").status_code == 200


def test_wrong_passwords_for_many_accounts_lock_the_address(api, patient):
    for attempt in range(LIMIT):
        token_attempt(api, f"someone{attempt}@example.com", "wrong password", "192.0.2.50")
    assert token_attempt(api, patient.email, PASSWORD, "192.0.2.50").status_code == 429
    assert token_attempt(api, patient.email, PASSWORD, "192.0.2.51").status_code == 200


def test_a_success_before_the_limit_forgets_the_failures(api, patient):
    for _ in range(LIMIT - 1):
        token_attempt(api, patient.email, "wrong password", "192.0.2.60")
    assert token_attempt(api, patient.email, PASSWORD, "192.0.2.60").status_code == 200
    assert token_attempt(api, patient.email, "wrong password", "192.0.2.60").status_code == 401
    assert token_attempt(api, patient.email, PASSWORD, "192.0.2.60").status_code == 200


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_the_login_pages_lock_out_too(url):
    staff = make_user("root@example.com", is_staff=True, is_superuser=True)
    browser = Client()
    answers = [browser.post(url, {"username": staff.email, "password": "wrong password"}).status_code
               for _ in range(LIMIT)]
    assert answers == [200] * (LIMIT - 1) + [429]
    locked = browser.post(url, {"username": staff.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_the_signup_page_is_throttled_per_address(settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    browser = Client()
    form = {"email": "", "password": "", "display_name": ""}
    assert [browser.post("/signup/", form).status_code for _ in range(allowed + 1)] == [200] * allowed + [429]
    assert Client(REMOTE_ADDR="192.0.2.70").post("/signup/", form).status_code == 200
