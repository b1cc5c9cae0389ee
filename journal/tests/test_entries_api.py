"""journal/entries: a user's own entries with their analysis, and nobody else's."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from journal import services
from journal.models import EntryAnalysis, JournalEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/journal/entries"


def entry_url(entry) -> str:
    return f"{URL}/{entry.pk}"


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_saves_an_entry_with_its_analysis_pending(patient_api, patient):
    response = patient_api.post(URL, {"text": "Slept well, walked to the park.", "mood": 7}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "Slept well, walked to the park."
    assert body["mood"] == 7 and body["source"] == "text" and body["crisis"] is False
    assert body["analysis"]["status"] == "pending" and body["analysis"]["sentiment_label"] == ""
    assert JournalEntry.objects.get(pk=body["id"]).owner == patient


def test_it_lists_only_the_callers_entries(patient_api, patient, other_patient):
    mine = services.entry_create(owner=patient, text="mine")
    services.entry_create(owner=other_patient, text="theirs")

    ids = [e["id"] for e in patient_api.get(URL).json()["results"]]

    assert ids == [mine.pk]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_it_answers_404_for_another_users_entry_and_changes_nothing(method, other_patient_api, patient):
    entry = services.entry_create(owner=patient, text="private")

    response = getattr(other_patient_api, method)(entry_url(entry), {"text": "overwritten"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert JournalEntry.objects.get(pk=entry.pk).text == "private"


def test_it_requires_authentication(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"text": "   "}, 400, "text"),
    ({"text": "x" * 100_001}, 413, "text"),
    ({"text": "é" * 50_001}, 413, "text"),  # over 100 kB in UTF-8, though under 100,000 characters
    ({"text": "ok", "written_at": (timezone.now() + timedelta(days=1)).isoformat()}, 400, "written_at"),
    ({"text": "ok", "written_at": "1899-12-31T12:00:00Z"}, 400, "written_at"),
    ({"text": "ok", "mood": 11}, 400, "mood"),
    ({"text": "ok", "mood": 0}, 400, "mood"),
    ({"text": "ok", "written_at": "yesterday"}, 400, "written_at"),
])
def test_it_rejects_bad_input_with_the_field_and_saves_nothing(patient_api, payload, status, field):
    response = patient_api.post(URL, payload, format="json")

    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]
    assert not JournalEntry.objects.exists()


def test_it_accepts_a_back_dated_entry(patient_api):
    response = patient_api.post(URL, {"text": "From my old diary.", "written_at": "1998-05-04T20:00:00Z"},
                                format="json")
    assert response.status_code == 201
    assert response.json()["written_at"].startswith("1998-05-04")


def test_it_analyses_an_edited_text_again_but_not_a_new_mood(patient_api, patient):
    entry = services.entry_create(owner=patient, text="first words")
    EntryAnalysis.objects.filter(entry=entry).update(status="done", sentiment_label="neutral", score=0.0)

    patient_api.patch(entry_url(entry), {"mood": 4}, format="json")
    assert EntryAnalysis.objects.get(entry=entry).status == "done"

    response = patient_api.patch(entry_url(entry), {"text": "second words"}, format="json")
    assert response.status_code == 200
    assert response.json()["analysis"]["status"] == "pending"
    entry.refresh_from_db()
    assert (entry.text, entry.mood, entry.revision) == ("second words", 4, 2)


def test_it_clears_a_mood_with_null(patient_api, patient):
    entry = services.entry_create(owner=patient, text="words", mood=5)
    assert patient_api.patch(entry_url(entry), {"mood": None}, format="json").json()["mood"] is None


def test_it_deletes_an_entry_with_its_analysis(patient_api, patient):
    entry = services.entry_create(owner=patient, text="gone soon")
    assert patient_api.delete(entry_url(entry)).status_code == 204
    assert not JournalEntry.objects.exists() and not EntryAnalysis.objects.exists()


def test_it_filters_by_date_and_searches_the_text(patient_api, patient):
    now = timezone.now()
    old = services.entry_create(owner=patient, text="Headache again", written_at=now - timedelta(days=40))
    services.entry_create(owner=patient, text="Headache again", written_at=now - timedelta(days=2))
    services.entry_create(owner=patient, text="Lovely swim", written_at=now - timedelta(days=41))
    until = (now - timedelta(days=30)).date().isoformat()

    ids = [e["id"] for e in patient_api.get(URL, {"q": "headache", "to": until}).json()["results"]]

    assert ids == [old.pk]
    bad = patient_api.get(URL, {"from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == 400 and "from" in bad.json()["error"]["fields"]


def test_days_are_the_users_own_for_a_token_client_too(patient):
    patient.time_zone = "America/New_York"
    patient.save()
    late = services.entry_create(owner=patient, text="Late one",
                                 written_at=datetime(2026, 3, 7, 23, 30, tzinfo=ZoneInfo("America/New_York")))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(user=patient)[1]}")

    ids = [e["id"] for e in client.get(URL, {"from": "2026-03-07", "to": "2026-03-07"}).json()["results"]]

    assert ids == [late.pk]


def test_a_clinician_reads_only_what_an_assigned_patient_shared(patient, record, clinician, other_clinician):
    shared = services.entry_create(owner=patient, text="for my doctor", shared_with_care_team=True)
    services.entry_create(owner=patient, text="just for me")

    response = as_user(clinician).get(URL, {"patient_id": "PAT-001"})
    assert [e["id"] for e in response.json()["results"]] == [shared.pk]
    assert as_user(other_clinician).get(URL, {"patient_id": "PAT-001"}).status_code == 404
    assert as_user(clinician).get(entry_url(shared)).status_code == 404  # reading, never editing, and only listed
