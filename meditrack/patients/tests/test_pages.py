import json
from datetime import timedelta

import pytest
from django.utils import timezone

from meditrack.patients.models import MedicationIntake, Vital

pytestmark = pytest.mark.django_db


def readings(record, **values):
    now = timezone.now()
    Vital.objects.bulk_create([Vital(patient=record, kind=kind, value=value, unit=unit,
                                     measured_at=now - timedelta(days=d))
                               for kind, (value, unit) in values.items() for d in (1, 40)])


def test_the_clinician_sees_their_patients_with_latest_bp_and_adherence(client, clinician, record, other_record,
                                                                          medication):
    readings(record, bp_systolic=(152, "mmHg"), bp_diastolic=(97, "mmHg"))
    scheduled = timezone.now() - timedelta(days=2)
    MedicationIntake.objects.create(medication=medication, scheduled_at=scheduled, taken_at=scheduled, status="taken")
    MedicationIntake.objects.create(medication=medication, scheduled_at=scheduled - timedelta(days=1), status="missed")
    client.force_login(clinician)
    page = client.get("/patients/").content.decode()
    assert "Alice Example" in page and "PAT-001" in page
    assert "152/97" in page and "Stage 2 hypertension" in page
    assert "50% of 2 doses" in page
    assert "PAT-002" not in page and "Bob Example" not in page
    assert 'href="/patients/"' in page  # the navigation shows the link


def test_a_patient_opening_the_list_lands_on_their_own_record(client, patient, record):
    client.force_login(patient)
    r = client.get("/patients/")
    assert r.status_code == 302 and r["Location"] == "/patients/PAT-001/"


def test_a_patient_without_a_record_is_told_so(client, other_patient):
    client.force_login(other_patient)
    page = client.get("/patients/").content.decode()
    assert "no patient record linked to your account" in page


def test_the_patient_page_has_charts_with_bands_and_medications(client, clinician, record, medication):
    readings(record, bp_systolic=(150, "mmHg"), heart_rate=(72, "bpm"))
    client.force_login(clinician)
    r = client.get("/patients/PAT-001/")
    page = r.content.decode()
    assert r.status_code == 200
    series = json.loads(page.split('<script id="vital-series" type="application/json">')[1].split("</script>")[0])
    assert [s["kind"] for s in series] == ["bp_systolic", "heart_rate"]
    systolic = series[0]
    assert len(systolic["points"]) == 2
    assert {"low": 140, "high": 181, "label": "Stage 2 hypertension", "severity": "abnormal"} in systolic["bands"]
    assert "vendor/chart-4.6.1.umd.min.js" in page and "js/patients.js" in page and "css/patients.css" in page
    assert "Lisinopril" in page and "once daily" in page
    assert "/reports/new?patient=PAT-001" in page


def test_the_range_limits_the_charted_readings(client, clinician, record):
    readings(record, heart_rate=(72, "bpm"))
    client.force_login(clinician)
    page = client.get("/patients/PAT-001/?days=30").content.decode()
    series = json.loads(page.split('<script id="vital-series" type="application/json">')[1].split("</script>")[0])
    assert len(series[0]["points"]) == 1


def test_the_patient_sees_their_page_without_the_report_button(client, patient, record):
    client.force_login(patient)
    page = client.get("/patients/PAT-001/").content.decode()
    assert "Alice Example" in page
    assert "Generate report" not in page
    assert "No readings in this range." in page


@pytest.mark.parametrize("who", ["other_clinician", "other_patient"])
def test_someone_elses_patient_page_is_a_404(client, record, other_record, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/patients/PAT-001/").status_code == 404
    assert client.get("/patients/PAT-404/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, record):
    r = client.get("/patients/PAT-001/")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_it_indexes_vitals_by_patient_and_time():
    # The patient list's latest-reading subquery (any kind) orders one patient's vitals by time.
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Vital._meta.db_table)
    assert any(c["index"] and c["columns"] == ["patient_id", "measured_at"] for c in constraints.values())


def test_the_clinician_reads_only_the_entries_the_patient_shared(client, clinician, patient, record):
    from journal import services as journal

    journal.entry_create(owner=patient, text="Shared: the new dose makes me dizzy after lunch.",
                         shared_with_care_team=True)
    journal.entry_create(owner=patient, text="Private: a row with my brother.")
    client.force_login(clinician)
    page = client.get("/patients/PAT-001/").content.decode()
    assert "the new dose makes me dizzy" in page and "a row with my brother" not in page
    assert "analysing…" in page  # its analysis is on its way
    client.force_login(patient)
    assert "Shared journal" not in client.get("/patients/PAT-001/").content.decode()
