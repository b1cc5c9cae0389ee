"""Clinical reference ranges per vital kind, and the units each kind may be given in.

Pure Python: nothing from Django, so reports, charts and benchmarks share one source of truth.

Every vital is STORED in its kind's canonical unit (``CANONICAL_UNIT``): the write services convert
whatever unit the caller used (lb, °F, mmol/L, ...) before saving. So SQL aggregates over a patient's
vitals of one kind are meaningful, and every threshold below is stated in that canonical unit.

Kinds are the string values of ``meditrack.patients.models.Vital.Kind``.

A reading is *in range* when ``normal_low <= value < normal_high`` (half-open, like every band: the
upper bound is the first abnormal value, so "HR 60-100 bpm" is ``[60, 101)`` and "SBP >= 140 is
stage 2" is ``normal_high=140``); ``normal_text`` states the range as clinicians write it. A bound
that is ``None`` does not apply (weight has no absolute range without height; SpO2 has no upper one).

Sources (the adult reference values used clinically; not a diagnosis):
  * Blood pressure — 2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and
    Management of High Blood Pressure in Adults (Whelton et al., Hypertension 2018;71:e13):
    normal < 120/80, elevated 120–129/< 80, stage 1 130–139 or 80–89, stage 2 >= 140 or >= 90,
    hypertensive crisis > 180 and/or > 120. Hypotension: the usual < 90/60 mmHg.
  * Heart rate — AHA: a normal resting adult heart rate is 60–100 bpm.
  * Glucose — ADA Standards of Care in Diabetes (section 6, Glycemic Goals): target range
    70–180 mg/dL (3.9–10.0 mmol/L); level 1 hypoglycaemia < 70 mg/dL, level 2 < 54 mg/dL;
    level 1 hyperglycaemia > 180 mg/dL, level 2 > 250 mg/dL (International Consensus on Time in
    Range, Battelino et al., Diabetes Care 2019). Fasting normal 70–99 mg/dL (ADA section 2).
  * Temperature — fever >= 38.0 °C (common clinical definition, e.g. IDSA/NICE), hypothermia
    < 35.0 °C (WHO/clinical); normal body temperature taken as 36.0–37.9 °C.
  * SpO2 — WHO Pulse Oximetry Training Manual (2011): normal 95–100 %; below 94 % needs
    assessment; below 90 % is hypoxaemia needing urgent treatment.
  * Respiratory rate — normal adult 12–20 breaths/min (the zero-score band of the Royal College of
    Physicians' NEWS2, 2017); <= 8 or >= 25 scores 3.
  * Weight — no absolute range (BMI needs height); charts and reports show trend only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SYSTOLIC = "bp_systolic"
DIASTOLIC = "bp_diastolic"
HEART_RATE = "heart_rate"
GLUCOSE = "glucose"
WEIGHT = "weight"
TEMPERATURE = "temperature"
SPO2 = "spo2"
RESPIRATORY_RATE = "respiratory_rate"

KINDS = (SYSTOLIC, DIASTOLIC, HEART_RATE, GLUCOSE, WEIGHT, TEMPERATURE, SPO2, RESPIRATORY_RATE)

# mg/dL per mmol/L for glucose (molar mass 180.16 g/mol).
GLUCOSE_MG_DL_PER_MMOL_L = 18.016


@dataclass(frozen=True)
class Band:
    """One labelled half-open interval [low, high), e.g. "Stage 2 hypertension" from 140 up to 180.
    ``None`` = unbounded."""

    low: float | None
    high: float | None
    label: str
    severity: str  # "normal", "borderline", "abnormal" or "critical"

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


@dataclass(frozen=True)
class Threshold:
    kind: str
    unit: str                      # the canonical unit, in which the numbers below are stated
    normal_low: float | None       # in range when normal_low <= value < normal_high
    normal_high: float | None
    normal_text: str               # the normal range as written clinically, e.g. "60-100 bpm"
    plausible_low: float           # a value outside [plausible_low, plausible_high] is rejected as input
    plausible_high: float
    source: str
    bands: tuple[Band, ...] = field(default_factory=tuple)  # contiguous, ascending; for charts and events


THRESHOLDS: dict[str, Threshold] = {
    SYSTOLIC: Threshold(
        SYSTOLIC, "mmHg", normal_low=90, normal_high=140, normal_text="90-139 mmHg",
        plausible_low=40, plausible_high=300,
        source="ACC/AHA 2017 (stage 2 hypertension >= 140 mmHg; crisis > 180); hypotension < 90",
        bands=(
            Band(None, 90, "Hypotension", "abnormal"),
            Band(90, 120, "Normal", "normal"),
            Band(120, 130, "Elevated", "borderline"),
            Band(130, 140, "Stage 1 hypertension", "borderline"),
            Band(140, 181, "Stage 2 hypertension", "abnormal"),
            Band(181, None, "Hypertensive crisis", "critical"),
        ),
    ),
    DIASTOLIC: Threshold(
        DIASTOLIC, "mmHg", normal_low=60, normal_high=90, normal_text="60-89 mmHg",
        plausible_low=20, plausible_high=200,
        source="ACC/AHA 2017 (stage 2 hypertension >= 90 mmHg; crisis > 120); hypotension < 60",
        bands=(
            Band(None, 60, "Hypotension", "abnormal"),
            Band(60, 80, "Normal", "normal"),
            Band(80, 90, "Stage 1 hypertension", "borderline"),
            Band(90, 121, "Stage 2 hypertension", "abnormal"),
            Band(121, None, "Hypertensive crisis", "critical"),
        ),
    ),
    HEART_RATE: Threshold(
        HEART_RATE, "bpm", normal_low=60, normal_high=101, normal_text="60-100 bpm",
        plausible_low=20, plausible_high=250,
        source="AHA: normal resting adult heart rate 60-100 bpm",
        bands=(
            Band(None, 60, "Bradycardia", "borderline"),
            Band(60, 101, "Normal", "normal"),
            Band(101, None, "Tachycardia", "abnormal"),
        ),
    ),
    GLUCOSE: Threshold(
        GLUCOSE, "mg/dL", normal_low=70, normal_high=181, normal_text="70-180 mg/dL",
        plausible_low=10, plausible_high=1000,
        source="ADA Standards of Care, section 6: target 70-180 mg/dL; hypoglycaemia < 70 (level 2 < 54); "
               "hyperglycaemia > 180 (level 2 > 250)",
        bands=(
            Band(None, 54, "Level 2 hypoglycaemia", "critical"),
            Band(54, 70, "Level 1 hypoglycaemia", "abnormal"),
            Band(70, 181, "Target range", "normal"),
            Band(181, 251, "Level 1 hyperglycaemia", "abnormal"),
            Band(251, None, "Level 2 hyperglycaemia", "critical"),
        ),
    ),
    WEIGHT: Threshold(
        WEIGHT, "kg", normal_low=None, normal_high=None, normal_text="no absolute range",
        plausible_low=0.5, plausible_high=500,
        source="No absolute range: BMI needs height; trend only",
    ),
    TEMPERATURE: Threshold(
        TEMPERATURE, "°C", normal_low=36.0, normal_high=38.0, normal_text="36.0-37.9 °C",
        plausible_low=25, plausible_high=45,
        source="Fever >= 38.0 °C (IDSA/NICE); hypothermia < 35.0 °C",
        bands=(
            Band(None, 35.0, "Hypothermia", "critical"),
            Band(35.0, 36.0, "Low", "borderline"),
            Band(36.0, 38.0, "Normal", "normal"),
            Band(38.0, 39.5, "Fever", "abnormal"),
            Band(39.5, None, "High fever", "critical"),
        ),
    ),
    SPO2: Threshold(
        SPO2, "%", normal_low=95, normal_high=None, normal_text="95-100 %",
        plausible_low=50, plausible_high=100,
        source="WHO Pulse Oximetry Training Manual 2011: normal 95-100 %; < 94 % assess; < 90 % hypoxaemia",
        bands=(
            Band(None, 90, "Hypoxaemia", "critical"),
            Band(90, 95, "Low", "abnormal"),
            Band(95, None, "Normal", "normal"),
        ),
    ),
    RESPIRATORY_RATE: Threshold(
        RESPIRATORY_RATE, "/min", normal_low=12, normal_high=21, normal_text="12-20 /min",
        plausible_low=3, plausible_high=80,
        source="RCP NEWS2 2017: 12-20 breaths/min scores 0; <= 8 or >= 25 scores 3",
        bands=(
            Band(None, 9, "Severe bradypnoea", "critical"),
            Band(9, 12, "Low", "abnormal"),
            Band(12, 21, "Normal", "normal"),
            Band(21, 25, "High", "abnormal"),
            Band(25, None, "Severe tachypnoea", "critical"),
        ),
    ),
}

CANONICAL_UNIT: dict[str, str] = {kind: t.unit for kind, t in THRESHOLDS.items()}


def _identity(v: float) -> float:
    return v


def _lb_to_kg(v: float) -> float:
    return v * 0.45359237


def _f_to_c(v: float) -> float:
    return (v - 32.0) * 5.0 / 9.0


def _mmol_to_mg(v: float) -> float:
    return v * GLUCOSE_MG_DL_PER_MMOL_L


# Per kind: each accepted spelling of a unit (UCUM codes as FHIR sends them, and the usual human
# spellings) → a function taking a value in that unit to the canonical unit.
UNITS: dict[str, dict[str, Callable[[float], float]]] = {
    SYSTOLIC: {"mmHg": _identity, "mm[Hg]": _identity},
    DIASTOLIC: {"mmHg": _identity, "mm[Hg]": _identity},
    HEART_RATE: {"bpm": _identity, "/min": _identity, "beats/min": _identity, "{beats}/min": _identity},
    GLUCOSE: {"mg/dL": _identity, "mg/dl": _identity, "mmol/L": _mmol_to_mg, "mmol/l": _mmol_to_mg},
    WEIGHT: {"kg": _identity, "lb": _lb_to_kg, "lbs": _lb_to_kg, "[lb_av]": _lb_to_kg},
    TEMPERATURE: {"°C": _identity, "Cel": _identity, "C": _identity, "°F": _f_to_c, "[degF]": _f_to_c,
                  "F": _f_to_c},
    SPO2: {"%": _identity},
    RESPIRATORY_RATE: {"/min": _identity, "breaths/min": _identity, "{breaths}/min": _identity},
}

# The UCUM code of each canonical unit (what a FHIR export writes in Quantity.code).
UCUM: dict[str, str] = {
    SYSTOLIC: "mm[Hg]", DIASTOLIC: "mm[Hg]", HEART_RATE: "/min", GLUCOSE: "mg/dL", WEIGHT: "kg",
    TEMPERATURE: "Cel", SPO2: "%", RESPIRATORY_RATE: "/min",
}


class UnitError(ValueError):
    """The unit does not fit the kind."""


def allowed_units(kind: str) -> list[str]:
    return list(UNITS[kind])


def to_canonical(kind: str, value: float, unit: str) -> float:
    """The value in the kind's canonical unit; UnitError if the unit does not fit the kind."""
    try:
        convert = UNITS[kind][unit.strip()]
    except KeyError:
        raise UnitError(f"{unit!r} is not a unit for {kind}") from None
    return convert(float(value))


def is_plausible(kind: str, value: float) -> bool:
    """Whether a canonical-unit value is physiologically possible enough to be stored."""
    threshold = THRESHOLDS[kind]
    return threshold.plausible_low <= value <= threshold.plausible_high


def is_out_of_range(kind: str, value: float) -> bool:
    """Whether a canonical-unit value lies outside the kind's normal range (False if the kind has none)."""
    threshold = THRESHOLDS[kind]
    return ((threshold.normal_low is not None and value < threshold.normal_low)
            or (threshold.normal_high is not None and value >= threshold.normal_high))


def classify(kind: str, value: float) -> Band | None:
    """The band a canonical-unit value falls in, or None for kinds without bands."""
    for band in THRESHOLDS[kind].bands:
        if band.contains(value):
            return band
    return None


def bp_category(systolic: float, diastolic: float) -> str:
    """ACC/AHA 2017 category of one BP reading: the higher of the two readings' categories wins."""
    if systolic > 180 or diastolic > 120:
        return "Hypertensive crisis"
    if systolic >= 140 or diastolic >= 90:
        return "Stage 2 hypertension"
    if systolic >= 130 or diastolic >= 80:
        return "Stage 1 hypertension"
    if systolic >= 120:
        return "Elevated"
    if systolic < 90 or diastolic < 60:
        return "Hypotension"
    return "Normal"
