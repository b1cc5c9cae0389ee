"""Reads: who reaches which report, and the facts of a report computed in PostgreSQL.

The vital aggregates are one GROUP BY over the patient's vitals in the range (count, avg, stddev,
min, max, regr_slope, and FILTER counts against the thresholds, joined in as a VALUES table);
medication adherence is one GROUP BY over the intakes; the shared journal one more small query, the
journal's own. A report's days are whole days in its time zone (meditrack.dateranges), and the times
its facts name are given in that zone too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from journal.selectors import shared_sentiment
from meditrack import dateranges
from meditrack.accounts.models import User
from meditrack.patients import thresholds
from meditrack.patients.models import Medication, MedicationIntake, Patient, Vital
from meditrack.patients.selectors import patient_get, patients_visible_to
from meditrack.reports import facts
from meditrack.reports.models import AnalysisReport


def reports_visible_to(*, user: User) -> QuerySet[AnalysisReport]:
    """Reports on the patients the user reaches: a clinician's assigned patients (whoever asked for
    the report in the care team), a patient's own record. Nothing for anyone else."""
    return AnalysisReport.objects.filter(patient__in=patients_visible_to(user=user)).select_related("patient")


def report_get(*, user: User, report_id: int) -> AnalysisReport:
    """The report, if the user may read it; 404 otherwise, whether or not it exists."""
    try:
        return reports_visible_to(user=user).get(pk=report_id)
    except AnalysisReport.DoesNotExist:
        raise Http404("No such report.") from None


def report_list(*, user: User, patient_id: str | None = None) -> QuerySet[AnalysisReport]:
    """The reports the user may read, for lists: without the facts, narrative and fact check (large, and no
    list shows them; ``report_get`` reads one whole)."""
    reports = reports_visible_to(user=user).defer("facts", "narrative", "fact_check")
    if patient_id:
        reports = reports.filter(patient=patient_get(user=user, patient_id=patient_id))
    return reports


def _limits_values() -> tuple[str, list]:
    rows, params = [], []
    for lim in facts.all_limits():
        rows.append("(%s, %s::float8, %s::float8, %s::float8, %s::float8)")
        params += [lim.kind, lim.normal_low, lim.normal_high, lim.critical_below, lim.critical_from]
    return ", ".join(rows), params


def _from_epoch(seconds: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone(tz)


def vital_aggregates(*, patient: Patient, start: datetime, end: datetime) -> list[facts.VitalAggregate]:
    """One pass over the patient's vitals in the range, grouped by kind. The time of the highest
    (lowest) reading comes from max(ARRAY[value, -epoch]) (min(ARRAY[value, epoch])): the earliest of
    equal readings, without sorting each group as array_agg(... ORDER BY) would. Times in the zone of ``start``."""
    values, limit_params = _limits_values()
    sql = f"""
        WITH limits(kind, normal_low, normal_high, critical_below, critical_from) AS (VALUES {values})
        SELECT v.kind, count(*), avg(v.value), stddev_samp(v.value), min(v.value), max(v.value),
               regr_slope(v.value, date_part('epoch', v.measured_at)),
               count(*) FILTER (WHERE v.value < l.normal_low),
               count(*) FILTER (WHERE v.value >= l.normal_high),
               count(*) FILTER (WHERE v.value < l.critical_below),
               count(*) FILTER (WHERE v.value >= l.critical_from),
               max(ARRAY[v.value, -date_part('epoch', v.measured_at)]),
               min(ARRAY[v.value, date_part('epoch', v.measured_at)]),
               min(v.measured_at), max(v.measured_at)
        FROM {Vital._meta.db_table} v LEFT JOIN limits l ON l.kind = v.kind
        WHERE v.patient_id = %s AND v.measured_at >= %s AND v.measured_at <= %s
        GROUP BY v.kind
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*limit_params, patient.pk, start, end])
        rows = cursor.fetchall()
    tz = start.tzinfo
    return [facts.VitalAggregate(*row[:11], max_at=_from_epoch(-row[11][1], tz), min_at=_from_epoch(row[12][1], tz),
                                 first_at=row[13].astimezone(tz), last_at=row[14].astimezone(tz)) for row in rows]


def bp_crisis_readings(*, patient: Patient, start: datetime, end: datetime) -> list[tuple[datetime, float, float]]:
    """Systolic and diastolic readings taken at the same time where either is in its hypertensive-crisis
    band. Grouped by time rather than a self-join, so the cost stays one pass whatever the planner knows.
    Times in the zone of ``start``."""
    systolic_from, diastolic_from = facts.BP_CRISIS
    sql = f"""
        SELECT measured_at, max(value) FILTER (WHERE kind = %s) AS s, max(value) FILTER (WHERE kind = %s) AS d
        FROM {Vital._meta.db_table}
        WHERE patient_id = %s AND kind IN (%s, %s) AND measured_at >= %s AND measured_at <= %s
        GROUP BY measured_at
        HAVING count(*) FILTER (WHERE kind = %s) > 0 AND count(*) FILTER (WHERE kind = %s) > 0
           AND (max(value) FILTER (WHERE kind = %s) >= %s OR max(value) FILTER (WHERE kind = %s) >= %s)
        ORDER BY measured_at
    """
    sys_, dia = thresholds.SYSTOLIC, thresholds.DIASTOLIC
    with connection.cursor() as cursor:
        cursor.execute(sql, [sys_, dia, patient.pk, sys_, dia, start, end, sys_, dia, sys_, systolic_from, dia,
                             diastolic_from])
        return [(at.astimezone(start.tzinfo), s, d) for at, s, d in cursor.fetchall()]


def medications_in_period(*, patient: Patient, date_from: date, date_to: date, start: datetime,
                          end: datetime) -> list[dict]:
    """Per medication active in the period (or with intakes in it): doses scheduled, taken, late, missed."""
    sql = f"""
        SELECT m.name, m.dose, m.unit, m.schedule, count(i.id),
               count(i.id) FILTER (WHERE i.status = %s),
               count(i.id) FILTER (WHERE i.status = %s),
               count(i.id) FILTER (WHERE i.status = %s)
        FROM {Medication._meta.db_table} m
        LEFT JOIN {MedicationIntake._meta.db_table} i
          ON i.medication_id = m.id AND i.scheduled_at >= %s AND i.scheduled_at <= %s
        WHERE m.patient_id = %s
        GROUP BY m.id
        HAVING count(i.id) > 0 OR (m."start" <= %s AND (m."end" IS NULL OR m."end" >= %s))
        ORDER BY m.start, m.id
    """
    status = MedicationIntake.Status
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.TAKEN, status.LATE, status.MISSED, start, end, patient.pk, date_to, date_from])
        return [facts.medication_fact(name=name, dose=dose, unit=unit, schedule=schedule, scheduled=n, taken=taken,
                                      late=late, missed=missed)
                for name, dose, unit, schedule, n, taken, late, missed in cursor.fetchall()]


def shared_journal_summary(*, patient: Patient, start: datetime, end: datetime) -> dict:
    """Only entries the patient shared with the care team, and only their finished analyses."""
    if patient.user_id is None:
        return facts.journal_fact(linked=False, count=0, mean_score=None, labels={})
    counts, mean = shared_sentiment(patient=patient, start=start, end=end)
    labels = {label or "unlabelled": n for label, n in counts.items()}
    return facts.journal_fact(linked=True, count=sum(labels.values()), mean_score=mean, labels=labels)


def report_facts(*, patient: Patient, date_from: date, date_to: date, tz: tzinfo = UTC,
                 include_vitals: bool = True, include_medications: bool = True,
                 include_journal: bool = False) -> dict:
    """The facts of a report over whole days in ``tz``: only what the options ask for. No names or other
    identifiers."""
    start, end = dateranges.bounds(date_from, date_to, tz=tz)
    out: dict = {"period": facts.period_fact(date_from, date_to)}
    if include_vitals:
        out["vitals"] = facts.vitals_facts(vital_aggregates(patient=patient, start=start, end=end))
        out["bp_crisis"] = facts.bp_crisis_fact(bp_crisis_readings(patient=patient, start=start, end=end))
    if include_medications:
        medications = medications_in_period(patient=patient, date_from=date_from, date_to=date_to, start=start,
                                            end=end)
        out["medications"] = medications
        out["medications_total"] = facts.medications_summary(medications)
    if include_journal:
        out["journal"] = shared_journal_summary(patient=patient, start=start, end=end)
    return out


def report_facts_in_python(*, patient: Patient, date_from: date, date_to: date, tz: tzinfo = UTC) -> dict:
    """The same vital and medication facts computed in Python over every row: the benchmark's baseline
    and the tests' cross-check of the SQL (nothing in the app uses it)."""
    start, end = dateranges.bounds(date_from, date_to, tz=tz)
    by_kind: dict[str, list] = {}
    rows = Vital.objects.filter(patient=patient, measured_at__gte=start, measured_at__lte=end)
    for kind, value, at in rows.values_list("kind", "value", "measured_at").order_by():
        by_kind.setdefault(kind, []).append((value, at.astimezone(tz)))
    aggregates = [facts.vital_aggregate_from_rows(kind, kind_rows) for kind, kind_rows in by_kind.items()]
    systolic: dict[datetime, float] = {}
    diastolic: dict[datetime, float] = {}
    for v, at in by_kind.get(thresholds.SYSTOLIC, []):
        systolic[at] = max(v, systolic.get(at, v))
    for v, at in by_kind.get(thresholds.DIASTOLIC, []):
        diastolic[at] = max(v, diastolic.get(at, v))
    crisis = sorted((at, systolic[at], diastolic[at]) for at in systolic.keys() & diastolic.keys()
                    if systolic[at] >= facts.BP_CRISIS[0] or diastolic[at] >= facts.BP_CRISIS[1])
    medications = []
    intakes: dict[int, list[str]] = {}
    for medication_id, status in MedicationIntake.objects.filter(
            medication__patient=patient, scheduled_at__gte=start, scheduled_at__lte=end).values_list(
            "medication_id", "status").order_by():
        intakes.setdefault(medication_id, []).append(status)
    for m in Medication.objects.filter(patient=patient).order_by("start", "id"):
        statuses = intakes.get(m.pk, [])
        active = m.start <= date_to and (m.end is None or m.end >= date_from)
        if statuses or active:
            medications.append(facts.medication_fact(
                name=m.name, dose=m.dose, unit=m.unit, schedule=m.schedule, scheduled=len(statuses),
                taken=statuses.count("taken"), late=statuses.count("late"), missed=statuses.count("missed")))
    return {"period": facts.period_fact(date_from, date_to), "vitals": facts.vitals_facts(aggregates),
            "bp_crisis": facts.bp_crisis_fact(crisis), "medications": medications,
            "medications_total": facts.medications_summary(medications)}
