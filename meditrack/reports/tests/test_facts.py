"""The facts, worked out by hand on the small data set of conftest.dataset, and the SQL against the
same facts computed in Python over the rows."""

from datetime import timedelta

import pytest

from meditrack.reports import selectors

pytestmark = pytest.mark.django_db


def facts_for(record, period, **options):
    return selectors.report_facts(patient=record, date_from=period[0], date_to=period[1], **options)


def by_kind(facts):
    return {v["kind"]: v for v in facts["vitals"]}


def test_it_computes_the_blood_pressure_facts_by_hand(dataset, period):
    vitals = by_kind(facts_for(dataset, period))
    s = vitals["bp_systolic"]
    # 120, 130, 140, 150, 190 on days 0-4: mean 146; squares of deviations 676+256+36+16+1936 = 2920,
    # / 4 = 730, sd 27.02; slope 160 / 10 = 16 a day = 112 a week, 64 over the 4 days read; 140, 150, 190 are
    # at or above the stage 2 bound (140): 3 of 5; 190 is in the crisis band (from 181).
    assert {k: s[k] for k in ("count", "mean", "sd", "min", "max", "trend_per_week", "trend_change", "trend",
                              "normal_range", "below_range", "above_range", "out_of_range", "out_of_range_pct")} == {
        "count": 5, "mean": 146, "sd": 27.0, "min": 120, "max": 190, "trend_per_week": 112, "trend_change": 64,
        "trend": "rising", "normal_range": "90-139 mmHg", "below_range": 0, "above_range": 3, "out_of_range": 3,
        "out_of_range_pct": 60}
    assert s["critical_high"] == {"label": "Hypertensive crisis", "from": 181, "count": 1}
    assert s["critical_low"] is None
    assert s["highest"]["value"] == 190 and s["highest"]["date"] == (period[0] + timedelta(days=4)).isoformat()
    assert s["lowest"]["value"] == 120 and s["lowest"]["date"] == period[0].isoformat()
    d = vitals["bp_diastolic"]
    # 80, 85, 90, 95, 125: mean 95; 1250 / 4 = 312.5, sd 17.68; slope 100 / 10 = 10 a day = 70 a week, 40 over 4 days.
    assert (d["mean"], d["sd"], d["trend_per_week"], d["trend_change"], d["out_of_range"], d["out_of_range_pct"]) == (
        95, 17.7, 70, 40, 3, 60)
    assert d["critical_high"]["count"] == 1


def test_it_pairs_the_hypertensive_crisis_readings(dataset, period):
    crisis = facts_for(dataset, period)["bp_crisis"]
    assert crisis["count"] == 1
    assert crisis["threshold"] == "above 180/120 mmHg"
    assert [(r["systolic"], r["diastolic"]) for r in crisis["readings"]] == [(190, 125)]


def test_it_computes_spo2_and_weight_by_hand(dataset, period):
    vitals = by_kind(facts_for(dataset, period))
    spo2 = vitals["spo2"]
    # 97 and 88: mean 92.5, sd sqrt(40.5) = 6.36; 88 is below 95 and below 90 (hypoxaemia); two readings: no trend.
    assert (spo2["count"], spo2["mean"], spo2["sd"], spo2["min"], spo2["max"]) == (2, 92.5, 6.4, 88, 97)
    assert (spo2["out_of_range"], spo2["out_of_range_pct"], spo2["below_range"], spo2["above_range"]) == (1, 50, 1, 0)
    assert spo2["critical_low"] == {"label": "Hypoxaemia", "below": 90, "count": 1}
    assert spo2["trend_per_week"] is None and spo2["trend"] is None
    assert spo2["lowest"]["at"].endswith("21:15:00+00:00")
    weight = vitals["weight"]
    # 80, 79.5, 79 a week apart: -0.5 kg a week, -1 over the 14 days (less than 2 % of 79.5: stable); no range.
    assert (weight["mean"], weight["trend_per_week"], weight["trend_change"], weight["trend"]) == (
        79.5, -0.5, -1, "stable")
    assert weight["normal_range"] is None and weight["out_of_range"] is None and weight["out_of_range_pct"] is None
    assert [v["kind"] for v in facts_for(dataset, period)["vitals"]] == ["bp_systolic", "bp_diastolic", "weight",
                                                                         "spo2"]


def test_it_computes_adherence_by_hand(dataset, period):
    facts = facts_for(dataset, period)
    lisinopril, atorvastatin = facts["medications"]  # Metformin ended before the range
    assert lisinopril == {"name": "Lisinopril", "dose": 10, "unit": "mg", "schedule": "once daily", "scheduled": 10,
                          "taken": 7, "late": 2, "missed": 1, "adherence_pct": 90, "on_time_pct": 70}
    assert (atorvastatin["name"], atorvastatin["scheduled"], atorvastatin["adherence_pct"]) == ("Atorvastatin", 0, None)
    assert facts["medications_total"] == {"medications": 2, "scheduled": 10, "taken": 7, "late": 2, "missed": 1,
                                          "adherence_pct": 90}


def test_it_summarises_only_shared_and_analysed_journal_entries(dataset, period):
    journal = facts_for(dataset, period, include_journal=True)["journal"]
    assert journal["shared_entries"] == 2
    assert journal["mean_sentiment"] == 0.2
    assert journal["labels"] == [{"label": "negative", "count": 1, "pct": 50}, {"label": "positive", "count": 1,
                                                                                "pct": 50}]
    assert "private words" not in str(journal)


def test_it_includes_only_what_the_options_ask_for(dataset, period):
    facts = facts_for(dataset, period, include_vitals=False, include_medications=True, include_journal=False)
    assert set(facts) == {"period", "medications", "medications_total"}
    assert facts["period"] == {"from": period[0].isoformat(), "to": period[1].isoformat(), "days": 31, "weeks": 4.4}


def test_it_holds_no_names_or_identifiers(dataset, period):
    text = str(facts_for(dataset, period, include_journal=True))
    assert "Alice" not in text and "PAT-001" not in text


def test_it_gives_the_same_facts_in_sql_as_in_python_over_the_rows(dataset, period):
    sql = facts_for(dataset, period)
    python = selectors.report_facts_in_python(patient=dataset, date_from=period[0], date_to=period[1])
    assert sql == python


def test_it_handles_a_patient_without_data(record, period):
    facts = facts_for(record, period, include_journal=True)
    assert facts["vitals"] == [] and facts["medications"] == [] and facts["bp_crisis"]["count"] == 0
    assert facts["journal"]["shared_entries"] == 0 and facts["journal"]["mean_sentiment"] is None
