import pytest

from meditrack.accounts.models import User
from meditrack.testing.people import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_serves_the_login_page(client):
    r = client.get("/login/")
    assert r.status_code == 200
    assert b'name="username"' in r.content


def test_it_sends_anonymous_visitors_to_login(client):
    r = client.get("/profile/")
    assert r.status_code == 302
    assert r["Location"].startswith("/login/")


def test_it_logs_in_with_email_and_password(client, patient):
    r = client.post("/login/", {"username": patient.email, "password": PASSWORD})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_it_signs_up_in_the_browser_and_logs_the_user_in(client):
    r = client.post("/signup/", {"email": "web@example.com", "display_name": "Web", "password": "a long enough secret"})
    assert r.status_code == 302
    assert User.objects.get(email="web@example.com").role == "patient"
    assert b"Web" in client.get("/profile/").content


def test_it_shows_signup_errors_on_the_form(client, patient):
    r = client.post("/signup/", {"email": patient.email, "password": "short"})
    assert r.status_code == 200
    assert b"already exists" in r.content
    assert b"too short" in r.content


def test_it_saves_the_profile(client, patient):
    client.force_login(patient)
    r = client.post("/profile/", {"display_name": "Alice Liddell", "language": "fr", "time_zone": "Europe/Paris"})
    assert r.status_code == 302
    patient.refresh_from_db()
    assert (patient.display_name, patient.language, patient.time_zone) == ("Alice Liddell", "fr", "Europe/Paris")


def test_signup_keeps_the_browsers_time_zone(client):
    r = client.post("/signup/", {"email": "new@example.com", "password": "a long enough passphrase",
                                 "time_zone": "America/Chicago"})
    assert r.status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == "America/Chicago"


def test_it_logs_out(client, patient):
    client.force_login(patient)
    assert client.post("/logout/").status_code == 302
    assert client.get("/profile/").status_code == 302


def test_the_navigation_shows_admin_only_to_staff(client, patient):
    client.force_login(patient)
    assert b"/admin/" not in client.get("/").content
