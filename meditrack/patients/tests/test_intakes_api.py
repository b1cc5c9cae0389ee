from datetime import timedelta

import pytest
from django.utils import timezone

from meditrack.patients.models import MedicationIntake

pytestmark = pytest.mark.django_db
URL = "/api/v1/patients/PAT-001/intakes"


def slot(days_ago: int):
    return (timezone.now() - timedelta(days=days_ago)).replace(hour=8, minute=0, second=0, microsecond=0)


def record_intakes(medication, *, taken=0, late=0, missed=0):
    rows, day = [], 1
    for status, n in (("taken", taken), ("late", late), ("missed", missed)):
        for _ in range(n):
            scheduled = slot(day)
            taken_at = {"taken": scheduled + timedelta(minutes=10), "late": scheduled + timedelta(hours=3),
                        "missed": None}[status]
            rows.append(MedicationIntake(medication=medication, scheduled_at=scheduled, taken_at=taken_at,
                                         status=status))
            day += 1
    MedicationIntake.objects.bulk_create(rows)


@pytest.mark.parametrize(("delay", "status"), [
    (timedelta(minutes=-30), "taken"), (timedelta(0), "taken"), (timedelta(minutes=60), "taken"),
    (timedelta(minutes=61), "late"), (timedelta(hours=5), "late"), (None, "missed"),
])
def test_the_status_follows_from_the_times(patient_api, medication, delay, status):
    scheduled = slot(2)
    body = {"medication": medication.pk, "scheduled_at": scheduled.isoformat()}
    if delay is not None:
        body["taken_at"] = (scheduled + delay).isoformat()
    r = patient_api.post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == status


def test_recording_a_slot_again_corrects_it(patient_api, medication):
    body = {"medication": medication.pk, "scheduled_at": slot(1).isoformat()}
    assert patient_api.post(URL, body, format="json").json()["status"] == "missed"
    r = patient_api.post(URL, {**body, "taken_at": (slot(1) + timedelta(minutes=5)).isoformat()}, format="json")
    assert (r.status_code, r.json()["status"]) == (200, "taken")
    assert MedicationIntake.objects.count() == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"scheduled_at": (timezone.now() + timedelta(hours=3)).isoformat()}, "scheduled_at"),
    ({"scheduled_at": slot(1).isoformat(), "taken_at": (timezone.now() + timedelta(hours=1)).isoformat()},
     "taken_at"),
    ({"scheduled_at": slot(1).isoformat(), "taken_at": (slot(1) - timedelta(hours=20)).isoformat()}, "taken_at"),
    ({"scheduled_at": slot(400).isoformat()}, "scheduled_at"),
    ({"scheduled_at": "soon"}, "scheduled_at"),
])
def test_it_rejects_impossible_intakes(patient_api, medication, body, field):
    r = patient_api.post(URL, {"medication": medication.pk, **body}, format="json")
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]
    assert not MedicationIntake.objects.exists()


def test_it_lists_intakes_with_adherence_counting_late_apart(clinician_api, medication):
    record_intakes(medication, taken=11, late=3, missed=6)
    body = clinician_api.get(URL).json()
    assert body["count"] == 20
    [adherence] = body["adherence"]
    assert (adherence["adherence"], adherence["on_time"], adherence["late"]) == (0.7, 0.55, 3)


def test_adherence_follows_the_range(clinician_api, medication):
    record_intakes(medication, taken=2, missed=2)  # days 1-2 taken, days 3-4 missed
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    body = clinician_api.get(URL, {"from": since}).json()
    assert body["count"] == 2
    assert body["adherence"][0]["adherence"] == 1.0


def test_it_filters_by_medication_of_this_patient_only(clinician_api, medication, other_record):
    from meditrack.patients.models import Medication

    foreign = Medication.objects.create(patient=other_record, name="X", dose=1, unit="mg", schedule="daily",
                                        start="2024-01-01")
    assert clinician_api.get(URL, {"medication": medication.pk}).status_code == 200
    assert clinician_api.get(URL, {"medication": foreign.pk}).status_code == 404


def test_it_computes_adherence_one_way_for_a_medication_and_for_the_patient_list(clinician, record, medication):
    from meditrack.patients import adherence, selectors

    record_intakes(medication, taken=6, late=2, missed=2)
    assert adherence.adherence_rate(taken=6, late=2, scheduled=10) == 0.8
    assert adherence.adherence_rate(taken=0, late=0, scheduled=0) is None
    [overview] = selectors.patient_overviews(user=clinician, since=timezone.now() - timedelta(days=30))
    assert overview.adherence == selectors.medication_adherence(patient=record)[medication.pk].adherence == 0.8
