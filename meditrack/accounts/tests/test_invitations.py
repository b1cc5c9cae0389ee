"""A patient reaches their record through a clinician's invitation: a single-use, expiring link,
accepted while signed in. Nobody gets a record by registering its email first."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from meditrack.accounts.models import Invitation
from meditrack.patients.models import CareAssignment, Patient
from meditrack.testing.people import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def unlinked(clinician):
    p = Patient.objects.create(patient_id="PAT-002", name="Erin Example")
    CareAssignment.objects.create(clinician=clinician, patient=p)
    return p


def invite(clinician_api, patient_id="PAT-002"):
    return clinician_api.post(f"/api/v1/patients/{patient_id}/invitations")


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def path_of(url: str) -> str:
    return url.split("testserver", 1)[1]


def test_a_patient_accepts_a_clinicians_invitation_and_reaches_their_record(clinician_api, unlinked):
    r = invite(clinician_api)
    assert r.status_code == 201
    link = path_of(r.json()["url"])
    erin = make_user("erin@example.com")
    browser = signed_in(erin)
    assert "Erin Example" not in browser.get(link).content.decode()  # nothing shown before accepting
    assert browser.post(link).status_code == 302
    unlinked.refresh_from_db()
    assert unlinked.user == erin
    assert signed_in(erin).get("/api/v1/patients/PAT-002").status_code == 200
    other = make_user("mallory@example.com")
    assert signed_in(other).post(link).status_code == 410  # single use


def test_registering_the_email_first_reaches_nothing(unlinked):
    make_user("erin@example.com")
    unlinked.refresh_from_db()
    assert unlinked.user is None


def test_an_expired_invitation_is_refused(clinician_api, unlinked):
    link = path_of(invite(clinician_api).json()["url"])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert signed_in(make_user("erin@example.com")).post(link).status_code == 410
    unlinked.refresh_from_db()
    assert unlinked.user is None


def test_a_made_up_link_is_refused(unlinked):
    assert signed_in(make_user("erin@example.com")).post("/invitations/not-a-real-token/").status_code == 410


def test_accepting_needs_a_session(clinician_api, unlinked):
    link = path_of(invite(clinician_api).json()["url"])
    r = Client().post(link)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_only_an_assigned_clinician_invites_and_only_to_an_unlinked_record(
        clinician_api, other_clinician_api, patient_api, unlinked, record):
    assert invite(other_clinician_api).status_code == 404
    assert invite(patient_api, "PAT-001").status_code == 403
    assert invite(clinician_api, "PAT-001").status_code == 409  # Alice's record is already hers


def test_a_clinician_or_a_linked_patient_cannot_accept(clinician, clinician_api, unlinked, record, patient):
    link = path_of(invite(clinician_api).json()["url"])
    assert signed_in(clinician).post(link).status_code == 403
    assert signed_in(patient).post(link).status_code == 409
    unlinked.refresh_from_db()
    assert unlinked.user is None


def test_the_link_is_stored_only_as_a_hash(clinician_api, unlinked):
    token = path_of(invite(clinician_api).json()["url"]).rstrip("/").rsplit("/", 1)[1]
    assert token not in str(Invitation.objects.values().get())
