"""Demo patients with about six months of believable vitals and medication intakes.

``seed_patients()`` links a Patient record (PAT-001…) to each demo patient account
(meditrack.demo.people), assigns them to the demo clinicians (Dr. Okafor four, Dr. Weber two, so neither reaches
the other's patients) and generates daily blood pressure and heart rate, weekly weight, glucose for
the diabetics and a few more, with noise and trends, plus every scheduled medication intake. Among
them: James Chen, clearly hypertensive (about 160/97 mmHg and creeping up despite taking his
medication), and Fatima Hassan, who takes only about 55 % of her doses at all.

Deterministic (a fixed seed per patient), idempotent (does nothing once a demo patient has a record),
and fast: everything goes in with a few bulk inserts.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from meditrack.accounts.models import User
from meditrack.demo.people import CLAIRE, FATIMA, JAMES, MARIA, OKAFOR, SAM, SPAN_DAYS, TOM, WEBER
from meditrack.patients.models import CareAssignment, Medication, MedicationIntake, Patient, Vital
from meditrack.patients.services import intake_status


@dataclass
class Drug:
    name: str
    dose: float
    unit: str
    schedule: str
    times: tuple[time, ...]
    on_time: float            # chance a dose is taken within the hour
    late: float               # chance it is taken hours late (else it is missed)
    started_days_before: int = 400


@dataclass
class Profile:
    email: str
    clinician: str
    born: date
    sex: str
    conditions: list[str]
    systolic: tuple[float, float]      # mean at the start and at the end of the period
    diastolic: tuple[float, float]
    heart_rate: float
    weight: tuple[float, float]
    drugs: list[Drug] = field(default_factory=list)
    glucose: tuple[float, float] | None = None   # fasting mean at start and end (mg/dL); None: not measured
    glucose_per_day: int = 0
    glucose_sd: float = 15
    extra: str = ""                    # "heart_failure", "fever" or "" for the few extra kinds


MORNING, NOON, EVENING, NIGHT = time(8, 0), time(13, 0), time(19, 0), time(22, 0)

PROFILES = [
    Profile(MARIA, OKAFOR, date(1967, 3, 14), "female", ["Type 2 diabetes", "Obesity"],
            systolic=(134, 127), diastolic=(84, 80), heart_rate=76, weight=(86.0, 82.5),
            glucose=(152, 128), glucose_per_day=2, glucose_sd=16,
            drugs=[Drug("Metformin", 500, "mg", "twice daily with meals", (MORNING, EVENING), 0.9, 0.05),
                   Drug("Empagliflozin", 10, "mg", "once daily", (MORNING,), 0.92, 0.04, started_days_before=150)]),
    Profile(JAMES, OKAFOR, date(1961, 9, 2), "male", ["Hypertension", "Hyperlipidaemia"],
            systolic=(156, 166), diastolic=(95, 100), heart_rate=79, weight=(91.0, 92.0),
            drugs=[Drug("Lisinopril", 20, "mg", "once daily", (MORNING,), 0.88, 0.06),
                   Drug("Amlodipine", 10, "mg", "once daily", (MORNING,), 0.87, 0.06),
                   Drug("Atorvastatin", 20, "mg", "once daily at night", (NIGHT,), 0.85, 0.05)]),
    Profile(FATIMA, OKAFOR, date(1979, 1, 23), "female", ["Hypertension", "Asthma"],
            systolic=(138, 137), diastolic=(87, 87), heart_rate=82, weight=(71.0, 71.5),
            drugs=[Drug("Ramipril", 5, "mg", "once daily", (MORNING,), 0.45, 0.1),
                   Drug("Budesonide/formoterol inhaler", 2, "puff", "twice daily", (MORNING, EVENING), 0.45, 0.1)]),
    Profile(TOM, WEBER, date(1953, 6, 30), "male",
            ["Heart failure (HFrEF)", "Atrial fibrillation"],
            systolic=(121, 118), diastolic=(74, 72), heart_rate=68, weight=(84.0, 84.5), extra="heart_failure",
            drugs=[Drug("Bisoprolol", 5, "mg", "once daily", (MORNING,), 0.94, 0.03),
                   Drug("Furosemide", 40, "mg", "once daily", (MORNING,), 0.93, 0.03),
                   Drug("Apixaban", 5, "mg", "twice daily", (MORNING, EVENING), 0.95, 0.02)]),
    Profile(CLAIRE, OKAFOR, date(1992, 11, 8), "female", ["Mild persistent asthma"],
            systolic=(113, 112), diastolic=(72, 71), heart_rate=71, weight=(61.0, 60.5), extra="fever",
            drugs=[Drug("Beclometasone inhaler", 100, "mcg", "twice daily", (MORNING, EVENING), 0.85, 0.06)]),
    Profile(SAM, WEBER, date(1973, 4, 17), "male", ["Type 1 diabetes"],
            systolic=(124, 122), diastolic=(79, 78), heart_rate=73, weight=(77.0, 77.0),
            glucose=(158, 150), glucose_per_day=3, glucose_sd=45,
            drugs=[Drug("Insulin glargine", 22, "unit", "once daily at night", (NIGHT,), 0.95, 0.03),
                   Drug("Insulin aspart", 6, "unit", "with meals", (MORNING, NOON, EVENING), 0.9, 0.05)]),
]


def _lerp(pair: tuple[float, float], f: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * f


class _Builder:
    def __init__(self, patient: Patient, rng: random.Random, start: date, now: datetime):
        self.patient, self.rng, self.start, self.now = patient, rng, start, now
        self.vitals: list[Vital] = []

    def at(self, day: date, clock: time, jitter_minutes: int = 25) -> datetime:
        moment = timezone.make_aware(datetime.combine(day, clock))
        return moment + timedelta(minutes=self.rng.randint(-jitter_minutes, jitter_minutes))

    def add(self, kind: str, value: float, unit: str, when: datetime, source: str = Vital.Source.DEVICE) -> None:
        if when <= self.now:
            value = round(value, 1) if kind in (Vital.Kind.WEIGHT, Vital.Kind.TEMPERATURE) else round(value)
            self.vitals.append(Vital(patient=self.patient, kind=kind, value=value, unit=unit,
                                     measured_at=when, source=source))


def _vitals(p: Profile, b: _Builder, missed_doses: set[date]) -> None:
    rng = b.rng
    fever_start = 58 + rng.randint(0, 10)
    fluid_start = 118 + rng.randint(0, 10)
    for n in range(SPAN_DAYS):
        day = b.start + timedelta(days=n)
        f = n / (SPAN_DAYS - 1)
        weekly = math.sin(2 * math.pi * n / 7)  # a little higher on some weekdays
        if rng.random() > 0.07:  # about one morning in fourteen without a reading
            when = b.at(day, time(7, 30))
            # The day after a missed blood-pressure dose runs higher.
            rebound = 7 if (day - timedelta(days=1)) in missed_doses else 0
            sys = _lerp(p.systolic, f) + 2 * weekly + rebound + rng.gauss(0, 6)
            dia = _lerp(p.diastolic, f) + weekly + rebound * 0.6 + rng.gauss(0, 4)
            b.add(Vital.Kind.SYSTOLIC, sys, "mmHg", when)
            b.add(Vital.Kind.DIASTOLIC, min(dia, sys - 25), "mmHg", when)
            hr = p.heart_rate + rng.gauss(0, 5)
            if p.extra == "fever" and fever_start <= n < fever_start + 5:
                hr += 18
            b.add(Vital.Kind.HEART_RATE, hr, "bpm", when)
        if n % 7 == 3:
            weight = _lerp(p.weight, f) + rng.gauss(0, 0.35)
            if p.extra == "heart_failure" and fluid_start <= n < fluid_start + 14:
                weight += 2.6 * min(1, (n - fluid_start) / 7)  # fluid retention, then diuresis
            b.add(Vital.Kind.WEIGHT, weight, "kg", b.at(day, time(7, 15), 10), Vital.Source.MANUAL)
        if p.glucose:
            slots = [(time(7, 0), 0), (time(14, 0), 40), (time(20, 30), 35)][: p.glucose_per_day]
            for clock, after_meal in slots:
                g = _lerp(p.glucose, f) + after_meal + rng.gauss(0, p.glucose_sd)
                b.add(Vital.Kind.GLUCOSE, max(g, 48), "mg/dL", b.at(day, clock, 40))
        if p.extra == "heart_failure":
            dip = -2.5 if fluid_start + 3 <= n < fluid_start + 12 else 0
            b.add(Vital.Kind.SPO2, min(100, 96 + dip + rng.gauss(0, 0.8)), "%", b.at(day, time(7, 35)))
            if n % 7 == 0:
                rr = 16 + (5 if dip else 0) + rng.gauss(0, 1.5)
                b.add(Vital.Kind.RESPIRATORY_RATE, round(rr), "/min", b.at(day, time(7, 40)), Vital.Source.MANUAL)
        if p.extra == "fever":
            febrile = fever_start <= n < fever_start + 5
            if febrile or n % 7 == 5:
                peak = 1.7 * math.sin(math.pi * (n - fever_start + 0.5) / 5) if febrile else 0
                b.add(Vital.Kind.TEMPERATURE, 36.7 + peak + rng.gauss(0, 0.2), "°C", b.at(day, time(19, 0)),
                      Vital.Source.MANUAL)
                b.add(Vital.Kind.SPO2, min(100, (95.5 if febrile else 98) + rng.gauss(0, 0.7)), "%",
                      b.at(day, time(19, 5)))
                rr = (21 if febrile else 14) + rng.gauss(0, 1.5)
                b.add(Vital.Kind.RESPIRATORY_RATE, round(rr), "/min", b.at(day, time(19, 5)), Vital.Source.MANUAL)


def _intakes(medication: Medication, drug: Drug, rng: random.Random, start: date, now: datetime,
             missed_days: set[date] | None) -> list[MedicationIntake]:
    slots = []
    for n in range(SPAN_DAYS):
        day = start + timedelta(days=n)
        if day < medication.start:
            continue
        for clock in drug.times:
            scheduled = timezone.make_aware(datetime.combine(day, clock))
            if scheduled <= now - timedelta(hours=6):  # a dose due in the last hours may still be taken
                slots.append(scheduled)
    # Exactly the profile's shares, in a random order: the demo's adherence figures do not drift with the seed.
    on_time, late = round(len(slots) * drug.on_time), round(len(slots) * drug.late)
    outcomes = ["taken"] * on_time + ["late"] * late + ["missed"] * (len(slots) - on_time - late)
    rng.shuffle(outcomes)
    rows = []
    for scheduled, outcome in zip(slots, outcomes, strict=True):
        if outcome == "taken":
            taken_at = scheduled + timedelta(minutes=rng.randint(-25, 50))
        elif outcome == "late":
            taken_at = scheduled + timedelta(minutes=rng.randint(95, 300))
        else:
            taken_at = None
            if missed_days is not None:
                missed_days.add(timezone.localtime(scheduled).date())
        rows.append(MedicationIntake(medication=medication, scheduled_at=scheduled, taken_at=taken_at,
                                     status=intake_status(scheduled_at=scheduled, taken_at=taken_at)))
    return rows


def seed_patients(*, today: date | None = None) -> None:
    """Creates the demo patients' records, care assignments, vitals and intakes (see the module docstring).
    Does nothing if a demo patient already has a record, or for demo accounts that do not exist."""
    users = {u.email: u for u in User.objects.filter(email__in=[p.email for p in PROFILES] + [OKAFOR, WEBER])}
    if Patient.objects.filter(user__email__in=[p.email for p in PROFILES]).exists():
        return
    today = today or timezone.localdate()
    now = min(timezone.now(), timezone.make_aware(datetime.combine(today, time.max)))
    start = today - timedelta(days=SPAN_DAYS - 1)
    taken_ids = set(Patient.objects.filter(patient_id__regex=r"^PAT-\d+$").values_list("patient_id", flat=True))
    number = 0

    with transaction.atomic():
        vitals, intakes = [], []
        for index, profile in enumerate(PROFILES):
            user = users.get(profile.email)
            if user is None:
                continue
            number += 1
            while f"PAT-{number:03d}" in taken_ids:
                number += 1
            patient = Patient.objects.create(patient_id=f"PAT-{number:03d}", user=user,
                                             name=user.display_name or profile.email.split("@")[0],
                                             date_of_birth=profile.born, sex=profile.sex,
                                             conditions=profile.conditions)
            clinician = users.get(profile.clinician)
            if clinician is not None:
                CareAssignment.objects.create(clinician=clinician, patient=patient)
            rng = random.Random(1000 + index)
            missed_bp_days: set[date] = set()
            for n, drug in enumerate(profile.drugs):
                medication = Medication.objects.create(
                    patient=patient, name=drug.name, dose=drug.dose, unit=drug.unit, schedule=drug.schedule,
                    start=today - timedelta(days=drug.started_days_before),
                    prescriber=clinician.get_full_name() if clinician else "")
                # The first drug of a hypertensive patient drives the day-after rebound in blood pressure.
                track = missed_bp_days if n == 0 and "Hypertension" in profile.conditions else None
                intakes += _intakes(medication, drug, rng, start, now, track)
            builder = _Builder(patient, rng, start, now)
            _vitals(profile, builder, missed_bp_days)
            vitals += builder.vitals
        Vital.objects.bulk_create(vitals, batch_size=5000)
        MedicationIntake.objects.bulk_create(intakes, batch_size=5000)
