import re

import pytest
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from meditrack.testing.people import PASSWORD, token_for

pytestmark = pytest.mark.django_db
NEW = "a fresh passphrase for alice"


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_user_changes_their_password_stays_signed_in_and_their_tokens_go(patient):
    token_for(patient)
    browser = signed_in(patient)
    assert browser.get("/password/change/").status_code == 200
    r = browser.post("/password/change/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert r.status_code == 302 and r["Location"] == "/password/change/done/"
    patient.refresh_from_db()
    assert patient.check_password(NEW)
    assert not AuthToken.objects.filter(user=patient).exists()
    assert browser.get("/password/change/done/").status_code == 200


def test_a_wrong_old_password_changes_nothing(patient):
    r = signed_in(patient).post("/password/change/", {"old_password": "not it", "new_password1": NEW,
                                                      "new_password2": NEW})
    assert r.status_code == 200
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_changing_the_password_needs_a_session():
    r = Client().get("/password/change/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_a_forgotten_password_is_reset_by_the_emailed_link(patient):
    token_for(patient)
    browser = Client()
    assert browser.get("/password/reset/").status_code == 200
    r = browser.post("/password/reset/", {"email": "Alice@Example.com"})
    assert r.status_code == 302 and r["Location"] == "/password/reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = browser.get(link)["Location"]
    r = browser.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert r.status_code == 302 and r["Location"] == "/password/reset/complete/"
    patient.refresh_from_db()
    assert patient.check_password(NEW)
    assert not AuthToken.objects.filter(user=patient).exists()
    assert browser.get(link).status_code == 200  # the link is spent: it shows the invalid-link page
    assert "no longer valid" in browser.get(link).content.decode()


def test_an_unknown_email_looks_the_same_and_sends_nothing(patient):
    r = Client().post("/password/reset/", {"email": "nobody@example.com"})
    assert r.status_code == 302 and r["Location"] == "/password/reset/done/"
    assert mail.outbox == []


def test_the_pages_are_linked_from_login_and_profile(patient):
    assert 'href="/password/reset/"' in Client().get("/login/").content.decode()
    assert 'href="/password/change/"' in signed_in(patient).get("/profile/").content.decode()


def test_reset_requests_are_throttled_per_address(settings, patient):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    answers = [Client().post("/password/reset/", {"email": patient.email}).status_code for _ in range(allowed + 1)]
    assert answers == [302] * allowed + [429]
    assert len(mail.outbox) == allowed
