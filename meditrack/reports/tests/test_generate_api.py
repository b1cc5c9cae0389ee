"""POST /api/v1/ai-analysis/generate: 202, the same request within a minute is the same report,
bad ranges, and nobody but the patient's clinicians may ask."""

import threading
from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from meditrack.reports import services
from meditrack.reports.models import AnalysisReport
from meditrack.reports.tasks import generate_report
from meditrack.testing.people import api_for, token_for
from meditrack.testing.workers import QueuedTask

URL = "/api/v1/ai-analysis/generate"
pytestmark = pytest.mark.django_db


def body(patient_id="PAT-001", date_from=None, date_to=None, **options):
    today = timezone.localdate()
    return {"patient_id": patient_id,
            "date_range": {"from": str(date_from or today - timedelta(days=89)), "to": str(date_to or today)},
            "options": {"include_vitals": True, "include_medications": True, "include_journal": False, **options}}


def test_it_accepts_a_request_with_202_and_queues_the_task(clinician_api, record, django_capture_on_commit_callbacks,
                                                           queued_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician_api.post(URL, body(include_journal=True), format="json")
    assert response.status_code == 202
    report = AnalysisReport.objects.get()
    assert response.json() == {"report_id": report.pk, "status": "queued"}
    assert (report.patient, report.include_journal, report.requested_by.email) == (record, True, "dr.carol@example.com")
    assert queued_tasks(services.report_queue(user=report.requested_by)) == [
        QueuedTask(generate_report.name, [report.pk], {})]


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_and_marks_the_report_failed_when_the_task_cannot_be_queued(clinician, record,
                                                                                   web_without_broker):
    response = httpx.post(f"{web_without_broker}{URL}", json=body(),
                          headers={"Authorization": f"Bearer {token_for(clinician)}"}, timeout=30)
    assert response.status_code == 503 and response.json()["error"]["code"] == "queue_unavailable"
    assert AnalysisReport.objects.get().status == "failed"
    assert AnalysisReport.objects.get().error_code == "not_queued"


def test_it_queues_the_task_on_the_queue_of_the_tiers_chat_model(clinician, chat_model):
    assert services.report_queue(user=clinician) == "io"


def test_it_queues_the_task_on_the_default_queue_when_no_chat_model_serves(clinician):
    from meditrack.inference.models import TierModel

    TierModel.objects.filter(model__task="chat").delete()
    assert services.report_queue(user=clinician) == "cpu"
    assert services.report_queue(user=None) == "cpu"


def test_it_returns_the_same_report_for_the_same_request_within_a_minute(clinician_api, record):
    first = clinician_api.post(URL, body(), format="json").json()
    again = clinician_api.post(URL, body(), format="json").json()
    assert again["report_id"] == first["report_id"]
    assert AnalysisReport.objects.count() == 1


def test_it_makes_a_new_report_for_a_different_request_or_after_a_minute(clinician_api, record):
    first = clinician_api.post(URL, body(), format="json").json()["report_id"]
    other_options = clinician_api.post(URL, body(include_journal=True), format="json").json()["report_id"]
    other_range = clinician_api.post(URL, body(date_from=timezone.localdate() - timedelta(days=10)),
                                     format="json").json()["report_id"]
    assert len({first, other_options, other_range}) == 3
    AnalysisReport.objects.filter(pk=first).update(created_at=timezone.now() - timedelta(seconds=61))
    later = clinician_api.post(URL, body(), format="json").json()["report_id"]
    assert later not in {first, other_options, other_range}


def test_it_makes_a_new_report_when_the_same_request_failed_a_moment_ago(clinician_api, record):
    first = clinician_api.post(URL, body(), format="json").json()["report_id"]
    AnalysisReport.objects.filter(pk=first).update(status="failed", error_code="internal_error")
    again = clinician_api.post(URL, body(), format="json").json()
    assert again["report_id"] != first and again["status"] == "queued"


def test_it_keeps_one_clinicians_request_apart_from_anothers(clinician_api, other_clinician, record):
    from meditrack.patients.models import CareAssignment

    CareAssignment.objects.create(clinician=other_clinician, patient=record)
    mine = clinician_api.post(URL, body(), format="json").json()["report_id"]
    theirs = api_for(other_clinician).post(URL, body(), format="json").json()["report_id"]
    assert mine != theirs


@pytest.mark.django_db(transaction=True)
def test_it_dedupes_concurrent_identical_requests(clinician, record, queued_tasks):
    today = timezone.localdate()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def ask():
        try:
            barrier.wait()
            report, _ = services.report_request(user=clinician, patient_id="PAT-001",
                                                date_from=today - timedelta(days=30), date_to=today)
            results.append(report.pk)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 6 and len(set(results)) == 1
    assert AnalysisReport.objects.count() == 1
    assert len(queued_tasks(services.report_queue(user=clinician))) == 1


@pytest.mark.parametrize("date_from, date_to, field, code", [
    (-10, -20, "date_range.from", "invalid_range"),                     # from after to
    (-(5 * 366 + 10), 0, "date_range", "range_too_long"),               # more than 5 years
    (3, 5, "date_range.from", "invalid_range"),                         # starts in the future
    (-5, 5, "date_range.to", "invalid_range"),                          # ends in the future
])
def test_it_rejects_bad_ranges_with_the_field(clinician_api, record, date_from, date_to, field, code):
    today = timezone.localdate()
    response = clinician_api.post(URL, body(date_from=today + timedelta(days=date_from),
                                            date_to=today + timedelta(days=date_to)), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert field in response.json()["error"]["fields"]
    assert AnalysisReport.objects.count() == 0


def test_it_accepts_exactly_five_years_and_tomorrow(clinician_api, record):
    today = timezone.localdate()
    five_years = clinician_api.post(URL, body(date_from=today.replace(year=today.year - 5) if not (
        today.month == 2 and today.day == 29) else today.replace(year=today.year - 5, day=28), date_to=today),
        format="json")
    assert five_years.status_code == 202
    tomorrow = clinician_api.post(URL, body(date_to=today + timedelta(days=1)), format="json")
    assert tomorrow.status_code == 202


@pytest.mark.parametrize("payload, fields", [
    ({"patient_id": "PAT-001", "date_range": {"from": "not a date", "to": "2025-01-01"}}, ["date_range.from"]),
    ({"patient_id": "PAT-001"}, ["date_range"]),
    ({"date_range": {"from": "2025-01-01", "to": "2025-01-31"}}, ["patient_id"]),
    ({"patient_id": "PAT-001", "date_range": {"from": "2025-01-01"}}, ["date_range.to"]),
])
def test_it_names_each_invalid_field(clinician_api, record, payload, fields):
    response = clinician_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == fields


def test_it_rejects_a_request_for_nothing(clinician_api, record):
    response = clinician_api.post(URL, body(include_vitals=False, include_medications=False), format="json")
    assert response.status_code == 400 and "options" in response.json()["error"]["fields"]


def test_it_answers_404_for_an_unknown_or_foreign_patient(clinician_api, other_clinician_api, record, foreign_record):
    attempts = ((clinician_api, "PAT-002"), (clinician_api, "PAT-404"), (other_clinician_api, "PAT-001"))
    for client, patient_id in attempts:
        response = client.post(URL, body(patient_id=patient_id), format="json")
        assert response.status_code == 404, patient_id
        assert response.json() == {"error": {"code": "not_found", "detail": "Not found."}}
    assert AnalysisReport.objects.count() == 0


def test_it_lets_a_patient_read_but_not_ask_for_reports_on_their_own_record(patient_api, record, other_patient):
    response = patient_api.post(URL, body(), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "clinicians_only"
    # Another patient does not learn that PAT-001 exists.
    assert api_for(other_patient).post(URL, body(), format="json").status_code == 404


def test_it_needs_a_signed_in_user(api, record):
    assert api.post(URL, body(), format="json").status_code == 401


@pytest.mark.parametrize("date_from, date_to", [
    ("0001-01-01", "0003-01-01"),
    ("0001-01-01", "0001-01-01"),
    ("0004-02-29", "0005-12-31"),
    ("1899-12-31", "1900-06-30"),
])
def test_it_rejects_a_range_in_the_first_years_with_400(clinician_api, record, date_from, date_to):
    response = clinician_api.post(URL, {"patient_id": "PAT-001", "date_range": {"from": date_from, "to": date_to}},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_range"
    assert "date_range.from" in response.json()["error"]["fields"]
    assert AnalysisReport.objects.count() == 0


def test_it_decides_who_may_ask_for_a_report_in_the_service(clinician, patient):
    assert services.may_request_reports(user=clinician) is True
    assert services.may_request_reports(user=patient) is False
