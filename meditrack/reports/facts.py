"""The facts of an analysis report, shaped from aggregates. Pure Python: imports nothing from Django.

The database computes the aggregates (see selectors.py: one GROUP BY over the vitals); this module
turns them into the facts the report stores, the narrative quotes and the fact check trusts:
rounding, thresholds and adherence (by the rules of meditrack.patients.thresholds and .adherence, their
one home), trend words. `vital_aggregate_from_rows` computes the same aggregates in Python from raw rows:
the benchmark's baseline, and the tests' cross-check of the SQL.

Rounding (every number a report shows is one of these, already rounded):
  means, standard deviations, the fitted change: 1 decimal; min/max/readings: as
  measured, to 2 decimals; trend per week: 2 decimals; percentages: 1 decimal; sentiment: 2 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from meditrack.patients import thresholds
from meditrack.patients.adherence import adherence_rate, on_time_rate

SECONDS_PER_WEEK = 7 * 24 * 3600
TREND_MIN_READINGS = 3
TREND_MIN_SPAN_S = 2 * 24 * 3600
# A trend is called rising/falling when the fitted change from the first reading to the last is at least this
# share of the mean.
TREND_RELATIVE_CHANGE = 0.02

VITAL_LABELS = {
    thresholds.SYSTOLIC: "Blood pressure, systolic",
    thresholds.DIASTOLIC: "Blood pressure, diastolic",
    thresholds.HEART_RATE: "Heart rate",
    thresholds.GLUCOSE: "Blood glucose",
    thresholds.WEIGHT: "Weight",
    thresholds.TEMPERATURE: "Body temperature",
    thresholds.SPO2: "Oxygen saturation (SpO2)",
    thresholds.RESPIRATORY_RATE: "Respiratory rate",
}
KIND_ORDER = {kind: i for i, kind in enumerate(thresholds.KINDS)}


def rnd(value: float | None, digits: int) -> float | int | None:
    """Round half away from zero (as people do, unlike round()'s half-to-even); whole numbers become ints."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    scaled = abs(value) * 10**digits
    rounded = math.floor(scaled + 0.5 + 1e-9) / 10**digits
    rounded = math.copysign(rounded, value) if rounded else 0.0
    return int(rounded) if rounded == int(rounded) else rounded


def fmt(value: float | int | None, *, signed: bool = False) -> str:
    """A number as the report writes it: no trailing zeros, '—' for none."""
    if value is None:
        return "—"
    text = f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    if text == "-0":
        text = "0"
    if signed and value > 0:
        text = "+" + text
    return text


def pct(part: int, whole: int) -> float | int | None:
    return rnd(100.0 * part / whole, 1) if whole else None


def percent(share: float | None) -> float | int | None:
    return None if share is None else rnd(100.0 * share, 1)


@dataclass(frozen=True)
class Limits:
    """A kind's thresholds as the SQL filters use them (canonical unit, half-open like thresholds.py):
    out of range when value < normal_low or value >= normal_high; critical when value < critical_below
    or value >= critical_from (the kind's outermost 'critical' bands)."""

    kind: str
    normal_low: float | None
    normal_high: float | None
    critical_below: float | None
    critical_from: float | None
    critical_low_label: str | None
    critical_high_label: str | None


def limits(kind: str) -> Limits:
    threshold = thresholds.THRESHOLDS.get(kind)
    if threshold is None:
        return Limits(kind, None, None, None, None, None, None)
    low = [b for b in threshold.bands if b.severity == "critical" and b.low is None]
    high = [b for b in threshold.bands if b.severity == "critical" and b.high is None]
    return Limits(kind, threshold.normal_low, threshold.normal_high,
                  low[0].high if low else None, high[0].low if high else None,
                  low[0].label if low else None, high[0].label if high else None)


def all_limits() -> list[Limits]:
    return [limits(kind) for kind in thresholds.KINDS]


BP_CRISIS = (limits(thresholds.SYSTOLIC).critical_from, limits(thresholds.DIASTOLIC).critical_from)


@dataclass(frozen=True)
class VitalAggregate:
    """What one GROUP BY row gives for a kind (values in its canonical unit)."""

    kind: str
    count: int
    mean: float
    sd: float | None
    min: float
    max: float
    slope_per_s: float | None  # least squares over (epoch seconds, value)
    below: int
    above: int
    critical_low: int
    critical_high: int
    max_at: datetime
    min_at: datetime
    first_at: datetime
    last_at: datetime


def vital_aggregate_from_rows(kind: str, rows: Iterable[tuple[float, datetime]]) -> VitalAggregate:
    """The same aggregate as the SQL, from (value, measured_at) rows: the Python baseline."""
    rows = list(rows)
    lim = limits(kind)
    n = len(rows)
    values = [v for v, _ in rows]
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    xs = [at.timestamp() for _, at in rows]
    mx = sum(xs) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (v - mean) for x, v in zip(xs, values, strict=True)) / sxx if sxx else None
    hi = max(rows, key=lambda r: (r[0], -r[1].timestamp()))
    lo = min(rows, key=lambda r: (r[0], r[1].timestamp()))
    return VitalAggregate(
        kind=kind, count=n, mean=mean, sd=sd, min=min(values), max=max(values), slope_per_s=slope,
        below=sum(1 for v in values if lim.normal_low is not None and v < lim.normal_low),
        above=sum(1 for v in values if lim.normal_high is not None and v >= lim.normal_high),
        critical_low=sum(1 for v in values if lim.critical_below is not None and v < lim.critical_below),
        critical_high=sum(1 for v in values if lim.critical_from is not None and v >= lim.critical_from),
        max_at=hi[1], min_at=lo[1], first_at=min(xs_at for _, xs_at in rows), last_at=max(a for _, a in rows),
    )


def _day(at: datetime) -> str:
    return at.date().isoformat()


def trend_word(change: float | None, mean: float) -> str | None:
    if change is None:
        return None
    return "stable" if abs(change) < TREND_RELATIVE_CHANGE * abs(mean) else ("rising" if change > 0 else "falling")


def vital_fact(agg: VitalAggregate) -> dict:
    """One vital kind's facts, rounded and labelled."""
    threshold = thresholds.THRESHOLDS.get(agg.kind)
    lim = limits(agg.kind)
    span = (agg.last_at - agg.first_at).total_seconds()
    slope_week = (agg.slope_per_s * SECONDS_PER_WEEK
                  if agg.slope_per_s is not None and agg.count >= TREND_MIN_READINGS and span >= TREND_MIN_SPAN_S
                  else None)
    # Over the days the readings cover: a slope carried across the rest of the period is a guess.
    change = slope_week * span / SECONDS_PER_WEEK if slope_week is not None else None
    has_range = threshold is not None and (threshold.normal_low is not None or threshold.normal_high is not None)
    out = agg.below + agg.above
    fact = {
        "kind": agg.kind,
        "label": VITAL_LABELS.get(agg.kind, agg.kind),
        "unit": thresholds.CANONICAL_UNIT.get(agg.kind, ""),
        "count": agg.count,
        "mean": rnd(agg.mean, 1),
        "sd": rnd(agg.sd, 1),
        "min": rnd(agg.min, 2),
        "max": rnd(agg.max, 2),
        "trend_per_week": rnd(slope_week, 2),
        "trend_change": rnd(change, 1),
        "trend": trend_word(change, agg.mean),
        "normal_range": threshold.normal_text if has_range else None,
        "below_range": agg.below if has_range else None,
        "above_range": agg.above if has_range else None,
        "out_of_range": out if has_range else None,
        "out_of_range_pct": pct(out, agg.count) if has_range else None,
        "critical_low": ({"label": lim.critical_low_label, "below": lim.critical_below, "count": agg.critical_low}
                         if lim.critical_below is not None else None),
        "critical_high": ({"label": lim.critical_high_label, "from": lim.critical_from, "count": agg.critical_high}
                          if lim.critical_from is not None else None),
        "highest": {"value": rnd(agg.max, 2), "at": agg.max_at.isoformat(), "date": _day(agg.max_at)},
        "lowest": {"value": rnd(agg.min, 2), "at": agg.min_at.isoformat(), "date": _day(agg.min_at)},
        "first_date": _day(agg.first_at),
        "last_date": _day(agg.last_at),
    }
    return fact


def vitals_facts(aggregates: Iterable[VitalAggregate]) -> list[dict]:
    return [vital_fact(a) for a in sorted(aggregates, key=lambda a: KIND_ORDER.get(a.kind, 99))]


def bp_crisis_fact(readings: list[tuple[datetime, float, float]], *, shown: int = 5) -> dict:
    """Paired readings (same time) in the hypertensive-crisis band: (measured_at, systolic, diastolic)."""
    worst = sorted(readings, key=lambda r: (-r[1], -r[2], r[0]))[:shown]
    return {
        "label": "Hypertensive crisis",
        "threshold": f"above {fmt(BP_CRISIS[0] - 1)}/{fmt(BP_CRISIS[1] - 1)} mmHg",
        "count": len(readings),
        "readings": [{"systolic": rnd(s, 2), "diastolic": rnd(d, 2), "at": at.isoformat(), "date": _day(at)}
                     for at, s, d in worst],
    }


def medication_fact(*, name: str, dose: float, unit: str, schedule: str, scheduled: int, taken: int, late: int,
                    missed: int) -> dict:
    """A medication with its intakes in the period, adherence and doses on time as percentages."""
    return {
        "name": name,
        "dose": rnd(dose, 2),
        "unit": unit,
        "schedule": schedule,
        "scheduled": scheduled,
        "taken": taken,
        "late": late,
        "missed": missed,
        "adherence_pct": percent(adherence_rate(taken=taken, late=late, scheduled=scheduled)),
        "on_time_pct": percent(on_time_rate(taken=taken, scheduled=scheduled)),
    }


def medications_summary(medications: list[dict]) -> dict:
    scheduled = sum(m["scheduled"] for m in medications)
    taken = sum(m["taken"] for m in medications)
    late = sum(m["late"] for m in medications)
    missed = sum(m["missed"] for m in medications)
    return {"medications": len(medications), "scheduled": scheduled, "taken": taken, "late": late,
            "missed": missed,
            "adherence_pct": percent(adherence_rate(taken=taken, late=late, scheduled=scheduled))}


def journal_fact(*, linked: bool, count: int, mean_score: float | None, labels: dict[str, int]) -> dict:
    return {
        "linked_account": linked,
        "shared_entries": count,
        "mean_sentiment": rnd(mean_score, 2),
        "sentiment_scale": "-1 to 1",
        "labels": [{"label": label, "count": n, "pct": pct(n, count)}
                   for label, n in sorted(labels.items(), key=lambda item: (-item[1], item[0]))],
    }


def period_fact(date_from: date, date_to: date) -> dict:
    days = (date_to - date_from).days + 1
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "days": days, "weeks": rnd(days / 7, 1)}
