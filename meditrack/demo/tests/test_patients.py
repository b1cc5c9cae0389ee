from datetime import date, timedelta

import pytest
from django.db.models import Avg
from django.http import Http404

from meditrack.accounts.models import User
from meditrack.demo.patients import seed_patients
from meditrack.demo.people import seed_accounts
from meditrack.patients import selectors, thresholds
from meditrack.patients.models import CareAssignment, Medication, MedicationIntake, Patient, Vital

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 30)


@pytest.fixture
def seeded():
    seed_accounts()
    seed_patients(today=TODAY)


def patient(email):
    return Patient.objects.get(user__email=email)


def test_it_gives_every_demo_patient_a_record_and_a_clinician(seeded):
    assert list(Patient.objects.values_list("patient_id", flat=True)) == [f"PAT-00{i}" for i in range(1, 7)]
    assert patient("maria.garcia@meditrack.local").patient_id == "PAT-001"
    okafor = User.objects.get(email="dr.okafor@meditrack.local")
    weber = User.objects.get(email="dr.weber@meditrack.local")
    assert selectors.patients_visible_to(user=okafor).count() == 4
    assert selectors.patients_visible_to(user=weber).count() == 2
    assert CareAssignment.objects.count() == 6
    # Neither clinician reaches the other's patients.
    weber_patient = selectors.patients_visible_to(user=weber).first()
    with pytest.raises(Http404):
        selectors.patient_get(user=okafor, patient_id=weber_patient.patient_id)
    with pytest.raises(Http404):
        selectors.patient_get(user=weber, patient_id="PAT-001")
    maria = User.objects.get(email="maria.garcia@meditrack.local")
    assert selectors.patients_visible_to(user=maria).get().patient_id == "PAT-001"


def test_it_generates_months_of_plausible_readings_and_intakes(seeded):
    assert 4000 < Vital.objects.count() < 8000
    assert MedicationIntake.objects.count() > 2000
    for p in Patient.objects.all():
        systolic = Vital.objects.filter(patient=p, kind="bp_systolic")
        assert systolic.count() > 150
        first, last = systolic.first().measured_at.date(), systolic.last().measured_at.date()
        assert (last - first).days >= 170 and last <= TODAY
        assert Vital.objects.filter(patient=p, kind="weight").count() >= 25
        assert Medication.objects.filter(patient=p).exists()
    for kind, unit, value in Vital.objects.values_list("kind", "unit", "value"):
        assert unit == thresholds.CANONICAL_UNIT[kind]
        assert thresholds.is_plausible(kind, value)
    assert Vital.objects.filter(patient__patient_id="PAT-001", kind="glucose").count() > 300
    assert Vital.objects.filter(kind="temperature", value__gte=38).exists()  # Claire's fever


def test_james_is_clearly_hypertensive_and_not_improving(seeded):
    james = patient("james.chen@meditrack.local")
    systolic = Vital.objects.filter(patient=james, kind="bp_systolic")
    diastolic = Vital.objects.filter(patient=james, kind="bp_diastolic")
    assert systolic.aggregate(m=Avg("value"))["m"] > 150
    assert diastolic.aggregate(m=Avg("value"))["m"] > 92
    high = sum(thresholds.is_out_of_range("bp_systolic", v) for v in systolic.values_list("value", flat=True))
    assert high / systolic.count() > 0.8
    month = timedelta(days=30)
    start, end = systolic.first().measured_at, systolic.last().measured_at
    early = systolic.filter(measured_at__lt=start + month).aggregate(m=Avg("value"))["m"]
    late = systolic.filter(measured_at__gt=end - month).aggregate(m=Avg("value"))["m"]
    assert late >= early
    # His pressure is not explained by missed doses.
    for adherence in selectors.medication_adherence(patient=james).values():
        assert adherence.adherence > 0.75


def test_fatima_takes_about_55_percent_of_her_doses_on_time(seeded):
    fatima = patient("fatima.hassan@meditrack.local")
    for adherence in selectors.medication_adherence(patient=fatima).values():
        assert 0.5 <= adherence.adherence <= 0.6
        assert adherence.late > 0 and adherence.missed > 0
    others = Patient.objects.exclude(pk=fatima.pk)
    for p in others:
        for adherence in selectors.medication_adherence(patient=p).values():
            assert adherence.adherence > 0.75


def test_it_seeds_only_once(seeded):
    counts = (Patient.objects.count(), Vital.objects.count(), MedicationIntake.objects.count())
    seed_patients(today=TODAY)
    seed_patients()
    assert (Patient.objects.count(), Vital.objects.count(), MedicationIntake.objects.count()) == counts


def test_it_does_nothing_without_the_demo_accounts(db):
    seed_patients()
    assert not Patient.objects.exists()


def test_the_statuses_agree_with_the_times(seeded):
    for status, scheduled, taken in MedicationIntake.objects.values_list("status", "scheduled_at", "taken_at"):
        if status == "missed":
            assert taken is None
        elif status == "taken":
            assert taken - scheduled <= timedelta(hours=1)
        else:
            assert taken - scheduled > timedelta(hours=1)
