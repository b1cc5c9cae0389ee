"""GET /api/v1/reports/<id> and /api/v1/reports?patient_id=: the care team and the patient read;
everyone else gets 404 for every id."""

import pytest

from meditrack.accounts.models import User
from meditrack.patients.models import CareAssignment
from meditrack.reports.models import AnalysisReport
from meditrack.testing.people import api_for, make_user

pytestmark = pytest.mark.django_db


def report_on(patient, by, period, **fields):
    return AnalysisReport.objects.create(patient=patient, requested_by=by, date_from=period[0], date_to=period[1],
                                         fingerprint="x", **fields)


@pytest.fixture
def done_report(record, clinician, period):
    return report_on(record, clinician, period, status="done", progress=100, facts={"period": {"days": 31}},
                     narrative="All good.", narrative_source="model", model="loopback-chat",
                     fact_check={"numbers": ["31"], "unsupported": [], "attempts": 1}, facts_ms=4.2, narrative_ms=80.0,
                     total_ms=90.1)


def test_it_shows_a_report_to_its_clinician(clinician_api, done_report):
    response = clinician_api.get(f"/api/v1/reports/{done_report.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["report_id"] == done_report.pk and data["patient_id"] == "PAT-001"
    assert (data["status"], data["progress"], data["narrative"], data["narrative_source"], data["model"]) == (
        "done", 100, "All good.", "model", "loopback-chat")
    assert data["facts"] == {"period": {"days": 31}}
    assert data["timings"] == {"facts_ms": 4.2, "narrative_ms": 80.0, "total_ms": 90.1}
    assert data["fact_check"]["attempts"] == 1
    assert data["date_range"] == {"from": done_report.date_from.isoformat(), "to": done_report.date_to.isoformat()}
    assert data["options"] == {"include_vitals": True, "include_medications": True, "include_journal": False}


def test_it_shows_the_patient_the_reports_on_their_own_record(patient_api, done_report):
    assert patient_api.get(f"/api/v1/reports/{done_report.pk}").status_code == 200
    listed = patient_api.get("/api/v1/reports").json()["results"]
    assert [r["report_id"] for r in listed] == [done_report.pk]


def test_it_shows_the_report_to_the_whole_care_team(other_clinician, done_report, record):
    CareAssignment.objects.create(clinician=other_clinician, patient=record)
    assert api_for(other_clinician).get(f"/api/v1/reports/{done_report.pk}").status_code == 200


def test_it_answers_404_to_everyone_else_for_every_id(other_clinician_api, other_patient, done_report, foreign_record,
                                                      clinician_api, period, other_clinician):
    admin = make_user("root@example.com", role=User.Role.ADMIN, is_staff=True)
    theirs = report_on(foreign_record, other_clinician, period)
    for client in (other_clinician_api, api_for(other_patient), api_for(admin)):
        for report_id in (done_report.pk, done_report.pk + 1000):
            response = client.get(f"/api/v1/reports/{report_id}")
            assert response.status_code == 404
            assert response.json() == {"error": {"code": "not_found", "detail": "Not found."}}
        assert client.get("/api/v1/reports?patient_id=PAT-001").status_code == 404
        assert done_report.pk not in [r["report_id"] for r in client.get("/api/v1/reports").json()["results"]]
    # And the other way round: Dr. Carol does not reach Dr. Dan's patient's report.
    assert clinician_api.get(f"/api/v1/reports/{theirs.pk}").status_code == 404
    assert clinician_api.get("/api/v1/reports?patient_id=PAT-002").status_code == 404


def test_it_lists_a_patients_reports_newest_first(clinician_api, record, foreign_record, clinician, period,
                                                  done_report):
    newer = report_on(record, clinician, period)
    response = clinician_api.get("/api/v1/reports?patient_id=PAT-001")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["report_id"] for r in results] == [newer.pk, done_report.pk]
    assert "facts" not in results[0] and "narrative" not in results[0]
    assert clinician_api.get("/api/v1/reports?patient_id=PAT-404").status_code == 404


def test_it_needs_a_signed_in_user(api, done_report):
    assert api.get(f"/api/v1/reports/{done_report.pk}").status_code == 401
    assert api.get("/api/v1/reports").status_code == 401


def test_it_answers_404_for_a_patient_id_with_a_nul_byte(clinician_api, done_report):
    response = clinician_api.get("/api/v1/reports?patient_id=PAT%00")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "Not found."}}


def test_it_lists_reports_without_loading_facts_or_narrative(clinician_api, clinician, done_report):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meditrack.reports import selectors

    table = AnalysisReport._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert clinician_api.get("/api/v1/reports?patient_id=PAT-001").status_code == 200
        assert [r.pk for r in selectors.report_list(user=clinician)] == [done_report.pk]
    selects = [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
    assert selects
    for column in ("facts", "narrative", "fact_check"):
        assert not any(f'"{table}"."{column}"' in sql for sql in selects), column
