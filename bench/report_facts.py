"""Report facts for a patient with 10,000 vitals and 2,000 medication intakes over a year.

Measured: meditrack.reports.selectors.report_facts (vitals, hypertensive-crisis pairs, medication
adherence) over the whole year — one GROUP BY over the vitals in PostgreSQL with avg, stddev,
min/max, regr_slope and FILTER counts against the thresholds, one over the intakes — median of
N runs. Baseline, in the same run: the same facts computed in Python over every row fetched from
the database (selectors.report_facts_in_python); the two must agree. ratio = facts_ms / baseline_ms
(lower is better); target: facts in <= 100 ms.
Runs itself under meditrack.embedded (var/bench): it needs nothing running beforehand.
"""

import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from stack import run_with_services

VITALS = 10_000
INTAKES = 2_000
RUNS = int(os.environ.get("BENCH_RUNS", "21"))
BASELINE_RUNS = int(os.environ.get("BENCH_BASELINE_RUNS", "7"))
TARGET_MS = 100
PATIENT_ID = "BENCH-FACTS"
START = date(2025, 1, 1)
DAYS = 365

# kind: (unit, mean, sd, readings a day's share) — believable values around each normal range.
KINDS = {
    "bp_systolic": ("mmHg", 138, 16),
    "bp_diastolic": ("mmHg", 88, 10),
    "heart_rate": ("bpm", 76, 12),
    "glucose": ("mg/dL", 135, 40),
    "weight": ("kg", 84, 1.5),
    "temperature": ("°C", 36.9, 0.4),
    "spo2": ("%", 96, 2),
    "respiratory_rate": ("/min", 16, 3),
}


def seed():
    from django.db import connection

    from meditrack.patients.models import Medication, MedicationIntake, Patient, Vital

    rng = random.Random(42)
    patient, _ = Patient.objects.get_or_create(patient_id=PATIENT_ID, defaults={"name": "Benchmark patient"})
    intakes = MedicationIntake.objects.filter(medication__patient=patient)
    if patient.vitals.count() == VITALS and intakes.count() == INTAKES:
        return patient
    patient.vitals.all().delete()
    patient.medications.all().delete()
    t0 = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    vitals = []
    # Blood pressure comes in pairs measured together (so crisis pairs exist); the rest spread over the year.
    pairs = 2_000
    for i in range(pairs):
        at = t0 + timedelta(seconds=int(i * DAYS * 86400 / pairs) + rng.randint(0, 3600))
        drift = 6 * i / pairs
        vitals.append(Vital(patient=patient, kind="bp_systolic", unit="mmHg", measured_at=at, source="device",
                            value=round(max(80, rng.gauss(138 + drift, 16)))))
        vitals.append(Vital(patient=patient, kind="bp_diastolic", unit="mmHg", measured_at=at, source="device",
                            value=round(max(45, rng.gauss(88 + drift / 2, 10)))))
    others = [k for k in KINDS if not k.startswith("bp_")]
    rest = VITALS - 2 * pairs
    for i in range(rest):
        kind = others[i % len(others)]
        unit, mean, sd = KINDS[kind]
        at = t0 + timedelta(seconds=int(i * DAYS * 86400 / rest) + rng.randint(0, 600))
        value = rng.gauss(mean, sd)
        if kind == "spo2":
            value = min(100, value)
        vitals.append(Vital(patient=patient, kind=kind, unit=unit, value=round(value, 1), measured_at=at))
    Vital.objects.bulk_create(vitals, batch_size=2000)

    medications = [
        (Medication.objects.create(patient=patient, name="Lisinopril", dose=10, unit="mg", schedule="once daily",
                                   start=START), 0.92),
        (Medication.objects.create(patient=patient, name="Metformin", dose=500, unit="mg", schedule="twice daily",
                                   start=START), 0.8),
        (Medication.objects.create(patient=patient, name="Atorvastatin", dose=20, unit="mg", schedule="once daily",
                                   start=START), 0.6),
    ]
    intakes = []
    for i in range(INTAKES):
        medication, adherence = medications[i % 3]
        slot = i // 3
        scheduled = t0 + timedelta(hours=8 + 12 * slot)  # each medication its own 12-hourly slots: unique
        roll = rng.random()
        if roll < adherence:
            status, taken = "taken", scheduled + timedelta(minutes=rng.randint(0, 30))
        elif roll < adherence + (1 - adherence) / 2:
            status, taken = "late", scheduled + timedelta(minutes=rng.randint(61, 240))
        else:
            status, taken = "missed", None
        intakes.append(MedicationIntake(medication=medication, scheduled_at=scheduled, taken_at=taken, status=status))
    MedicationIntake.objects.bulk_create(intakes, batch_size=2000)
    with connection.cursor() as cursor:  # fresh planner statistics, as a live table has
        cursor.execute(f"ANALYZE {Vital._meta.db_table}, {MedicationIntake._meta.db_table}")
    return patient


def timed(fn, runs: int) -> tuple[float, object]:
    result, times = None, []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def measure():
    from meditrack.patients.models import MedicationIntake
    from meditrack.reports import selectors

    patient = seed()
    date_from, date_to = START, START + timedelta(days=DAYS - 1)
    n_vitals = patient.vitals.count()
    n_intakes = MedicationIntake.objects.filter(medication__patient=patient).count()

    def sql():
        return selectors.report_facts(patient=patient, date_from=date_from, date_to=date_to)

    def python():
        return selectors.report_facts_in_python(patient=patient, date_from=date_from, date_to=date_to)

    sql(), python()  # warm up: connection, plans, caches
    facts_ms, facts = timed(sql, RUNS)
    baseline_ms, baseline = timed(python, BASELINE_RUNS)
    if facts != baseline:
        sys.exit("the SQL facts differ from the Python facts")
    print(f"patient with {n_vitals} vitals and {n_intakes} intakes; {len(facts['vitals'])} vital kinds, "
          f"{facts['bp_crisis']['count']} crisis pairs, {len(facts['medications'])} medications")
    print(f"facts in PostgreSQL: median {facts_ms:.1f} ms of {RUNS}; in Python over the rows: median "
          f"{baseline_ms:.1f} ms of {BASELINE_RUNS}")
    print(f"facts_ms={facts_ms:.1f} baseline_ms={baseline_ms:.1f} ratio={facts_ms / baseline_ms:.3f} "
          f"target_ms={TARGET_MS}")


if __name__ == "__main__":
    run_with_services(os.path.abspath(__file__), measure)
