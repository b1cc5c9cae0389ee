from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from meditrack.patients.models import Vital

pytestmark = pytest.mark.django_db
URL = "/api/v1/patients/PAT-001/vitals"


def at(days_ago=0, hours=0):
    return (timezone.now() - timedelta(days=days_ago, hours=hours)).replace(microsecond=0)


def reading(kind="bp_systolic", value=128, unit="mmHg", when=None, **extra):
    return {"kind": kind, "value": value, "unit": unit, "measured_at": (when or at(1)).isoformat(), **extra}


def test_the_patient_records_a_reading(patient_api, record):
    r = patient_api.post(URL, reading(value=145), format="json")
    assert r.status_code == 201
    body = r.json()
    assert (body["kind"], body["value"], body["unit"], body["source"], body["out_of_range"]) == \
        ("bp_systolic", 145, "mmHg", "manual", True)


def test_it_stores_readings_in_the_canonical_unit(clinician_api, record):
    r = clinician_api.post(URL, reading("glucose", 7.0, "mmol/L"), format="json")
    assert (r.json()["value"], r.json()["unit"]) == (126.11, "mg/dL")
    r = clinician_api.post(URL, reading("temperature", 100.4, "°F"), format="json")
    assert (r.json()["value"], r.json()["unit"], r.json()["out_of_range"]) == (38.0, "°C", True)
    r = clinician_api.post(URL, reading("weight", 176, "lb"), format="json")
    assert (r.json()["value"], r.json()["unit"]) == (79.83, "kg")


@pytest.mark.parametrize(("body", "field"), [
    (reading(unit="kg"), "unit"),
    (reading("heart_rate", 70, "mmHg"), "unit"),
    (reading("spo2", 97, "mg/dL"), "unit"),
    (reading(value=900), "value"),
    (reading("spo2", 104, "%"), "value"),
    (reading(when=timezone.now() + timedelta(hours=2)), "measured_at"),
    (reading(kind="cholesterol"), "kind"),
    ({"kind": "heart_rate", "value": "fast", "unit": "bpm", "measured_at": at().isoformat()}, "value"),
    ({"kind": "heart_rate", "value": 70, "unit": "bpm"}, "measured_at"),
])
def test_it_rejects_a_reading_that_does_not_fit_its_kind(clinician_api, record, body, field):
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]
    assert not Vital.objects.exists()


def test_a_list_of_readings_is_saved_together_or_not_at_all(patient_api, record):
    both = [reading(value=150), reading("bp_diastolic", 95)]
    assert patient_api.post(URL, both, format="json").status_code == 201
    assert Vital.objects.count() == 2
    r = patient_api.post(URL, [reading(value=150), reading("bp_diastolic", 95, "bpm")], format="json")
    assert r.status_code == 400
    assert "1.unit" in r.json()["error"]["fields"]
    assert Vital.objects.count() == 2


def test_it_filters_by_kind_and_range(patient_api, record):
    for days, kind in [(10, "bp_systolic"), (5, "bp_systolic"), (5, "heart_rate"), (1, "bp_systolic")]:
        patient_api.post(URL, reading(kind, 80, "mmHg" if kind == "bp_systolic" else "bpm", at(days)), format="json")
    body = patient_api.get(URL, {"kind": "bp_systolic"}).json()
    assert body["count"] == 3
    start, end = (timezone.localdate() - timedelta(days=d) for d in (6, 2))
    body = patient_api.get(URL, {"from": start.isoformat(), "to": end.isoformat()}).json()
    assert sorted(v["kind"] for v in body["results"]) == ["bp_systolic", "heart_rate"]
    # A date as 'to' covers that whole day.
    patient_api.post(URL, reading("heart_rate", 70, "bpm", timezone.now()), format="json")
    today = timezone.localdate().isoformat()
    assert patient_api.get(URL, {"from": today, "to": today}).json()["count"] == 1


def test_a_range_of_dates_is_whole_days_in_the_users_time_zone(patient, patient_api, record):
    patient.time_zone = "America/New_York"
    patient.save(update_fields=["time_zone"])
    late = datetime(2024, 3, 7, 23, 30, tzinfo=ZoneInfo("America/New_York"))  # 04:30 on 8 March in UTC
    patient_api.post(URL, reading("heart_rate", 70, "bpm", late), format="json")
    assert patient_api.get(URL, {"from": "2024-03-01", "to": "2024-03-07"}).json()["count"] == 1
    assert patient_api.get(URL, {"from": "2024-03-08", "to": "2024-03-09"}).json()["count"] == 0


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2024-05-02", "to": "2024-05-01"}, "from"),
    ({"from": "2015-01-01", "to": "2024-01-01"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"kind": "mood"}, "kind"),
])
def test_it_rejects_a_bad_query(patient_api, record, query, field):
    r = patient_api.get(URL, query)
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]


def test_a_bound_with_any_utc_offset_python_reads_is_that_instant(patient_api, record):
    patient_api.post(URL, reading("heart_rate", 70, "bpm", datetime(2024, 5, 1, 12, tzinfo=UTC)), format="json")
    # 20:00 on 1 May at +20:00 is midnight UTC: PostgreSQL itself takes offsets up to 15:59 only.
    assert patient_api.get(URL, {"to": "2024-05-01T20:00:00+20:00"}).json()["count"] == 0
    assert patient_api.get(URL, {"from": "2024-05-01T20:00:00+20:00"}).json()["count"] == 1


def test_a_bound_before_year_1_in_utc_is_refused(patient_api, record):
    r = patient_api.get(URL, {"to": "0001-01-01T00:00:00+20:00"})
    assert r.status_code == 400
    assert "to" in r.json()["error"]["fields"]


def test_it_pages_long_lists(patient_api, record):
    Vital.objects.bulk_create([Vital(patient=record, kind="heart_rate", value=60 + i % 20, unit="bpm",
                                     measured_at=at(i)) for i in range(120)])
    body = patient_api.get(URL, {"page_size": 100}).json()
    assert (body["count"], len(body["results"])) == (120, 100)
    assert body["results"][0]["measured_at"] < body["results"][-1]["measured_at"]
