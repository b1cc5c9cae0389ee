"""Care alerts: kept on the patient's record until one of their clinicians marks them seen, so a clinician who
was offline when the patient wrote still finds them; only the patient's clinicians reach them."""

import pytest
from django.db import transaction

from journal import services as journal
from journal.models import JournalEntry
from meditrack.patients.models import CareAlert

pytestmark = pytest.mark.django_db(transaction=True)
CRISIS = "I can't do this anymore. I want to end my life."


@pytest.fixture
def alert(patient, record):
    journal.entry_create(owner=patient, text=CRISIS)
    return CareAlert.objects.get(patient=record)


def test_it_keeps_an_alert_for_a_crisis_entry_without_its_words(alert, record):
    assert alert.kind == CareAlert.Kind.CRISIS_LANGUAGE and alert.seen_at is None
    assert CareAlert.objects.count() == 1


def test_an_entry_that_is_not_saved_leaves_no_alert(patient, record):
    with pytest.raises(RuntimeError), transaction.atomic():
        journal.entry_create(owner=patient, text=CRISIS)
        raise RuntimeError("the request failed after the entry was written")
    assert not JournalEntry.objects.exists() and not CareAlert.objects.exists()


def test_an_edit_that_adds_crisis_language_keeps_an_alert_and_deleting_the_entry_keeps_it(patient, record):
    entry = journal.entry_create(owner=patient, text="A quiet evening.")
    assert not CareAlert.objects.exists()
    journal.entry_update(entry=entry, text=CRISIS)
    journal.entry_update(entry=entry, text=CRISIS + " Still.")  # already flagged: no second alert
    journal.entry_delete(entry=entry)
    assert CareAlert.objects.filter(patient=record, seen_at__isnull=True).count() == 1


def test_an_ordinary_entry_or_a_patient_without_a_record_raises_none(patient, other_patient, record):
    journal.entry_create(owner=patient, text="A long walk by the river, then soup.")
    journal.entry_create(owner=other_patient, text=CRISIS)  # nobody's patient: no care team to tell
    assert not CareAlert.objects.exists()


def test_the_clinician_lists_open_alerts_without_the_entry(alert, clinician_api):
    r = clinician_api.get("/api/v1/patients/PAT-001/alerts?open=true")
    assert r.status_code == 200
    [item] = r.json()["results"]
    assert item["id"] == alert.pk and item["kind"] == "crisis_language" and item["seen_at"] is None
    assert "life" not in r.content.decode().lower()


def test_marking_an_alert_seen_names_who_saw_it_and_closes_it(alert, clinician, clinician_api):
    r = clinician_api.post(f"/api/v1/patients/PAT-001/alerts/{alert.pk}/seen")
    assert r.status_code == 200 and r.json()["seen_by"] == "Dr. Carol" and r.json()["seen_at"]
    assert clinician_api.get("/api/v1/patients/PAT-001/alerts?open=true").json()["results"] == []
    first_seen = r.json()["seen_at"]
    again = clinician_api.post(f"/api/v1/patients/PAT-001/alerts/{alert.pk}/seen")
    assert again.json()["seen_at"] == first_seen
    assert len(clinician_api.get("/api/v1/patients/PAT-001/alerts").json()["results"]) == 1


def assert_unseen(alert):
    alert.refresh_from_db()
    assert alert.seen_at is None


def test_another_clinician_cannot_reach_the_alerts(alert, other_clinician_api):
    assert other_clinician_api.get("/api/v1/patients/PAT-001/alerts").status_code == 404
    assert other_clinician_api.post(f"/api/v1/patients/PAT-001/alerts/{alert.pk}/seen").status_code == 404
    assert_unseen(alert)


def test_an_alert_of_another_patient_is_a_404(alert, other_record, other_clinician_api):
    assert other_clinician_api.post(f"/api/v1/patients/PAT-002/alerts/{alert.pk}/seen").status_code == 404
    assert_unseen(alert)


def test_the_patient_cannot_read_or_clear_alerts_about_them(alert, patient_api):
    assert patient_api.get("/api/v1/patients/PAT-001/alerts").status_code == 403
    assert patient_api.post(f"/api/v1/patients/PAT-001/alerts/{alert.pk}/seen").status_code == 403
    assert_unseen(alert)


def test_the_list_and_the_patient_page_show_the_alert_until_it_is_seen(alert, client, clinician):
    client.force_login(clinician)
    assert "1 alert to see" in client.get("/patients/").content.decode()
    page = client.get("/patients/PAT-001/").content.decode()
    assert "Crisis or self-harm language in the journal" in page and CRISIS not in page
    r = client.post(f"/patients/PAT-001/alerts/{alert.pk}/seen")
    assert r.status_code == 302 and r["Location"] == "/patients/PAT-001/"
    assert "alert to see" not in client.get("/patients/").content.decode()
    assert "Crisis or self-harm language" not in client.get("/patients/PAT-001/").content.decode()


def test_the_page_form_is_for_the_patients_clinicians_only(alert, client, patient, other_clinician):
    client.force_login(other_clinician)
    assert client.post(f"/patients/PAT-001/alerts/{alert.pk}/seen").status_code == 404
    client.force_login(patient)
    assert client.post(f"/patients/PAT-001/alerts/{alert.pk}/seen").status_code == 403
    assert "Crisis or self-harm language" not in client.get("/patients/PAT-001/").content.decode()
