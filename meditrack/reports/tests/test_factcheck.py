"""The fact check's rules (pure: no database)."""

import pytest

from meditrack.reports import factcheck as fc

FACTS = {
    "period": {"from": "2025-01-01", "to": "2025-01-31", "days": 31, "weeks": 4.4},
    "vitals": [{"label": "Oxygen saturation (SpO2)", "count": 5, "mean": 146.37, "trend_per_week": -0.42,
                "out_of_range": 3, "out_of_range_pct": 60, "normal_range": "90-139 mmHg", "missed": 0,
                "highest": {"value": 190, "at": "2025-01-05T08:30:00+00:00", "date": "2025-01-05"}}],
    "medications": [{"name": "Vitamin B12", "dose": 1000, "schedule": "every 8 hours", "adherence_pct": 12.5}],
    "journal": {"mean_sentiment": 0.21},
}
ALLOWED = fc.allowed_from_facts(FACTS)


def unsupported(text):
    return fc.check(text, ALLOWED).unsupported


@pytest.mark.parametrize("text", [
    "The mean was 146.37, or 146.4, or about 146.",          # rounding to 0, 1 or 2 decimals
    "Blood pressure peaked at 190/139.",                     # both sides of a reading
    "3 of 5 readings (60%) were out of range.",              # counts and a percentage
    "It fell by 0.42 per week, roughly 0.4.",                # a trend's sign is in the words
    "It changed by -0.42 per week.",
    "Adherence was 12.5%.",
    "The normal range is 90-139 mmHg.",
    "Doses every 8 hours; 1,000 IU of Vitamin B12.",         # numbers inside fact texts; digits in names
    "SpO2 was low; CO2 was not measured.",
    "0 doses were missed.",                                  # zero, when a fact is zero
    "Over 31 days (4.4 weeks, about 4 weeks)",
])
def test_it_accepts_numbers_that_are_facts(text):
    assert unsupported(text) == []


@pytest.mark.parametrize("text", [
    "It peaked on 5 January 2025 at 08:30.",
    "It peaked on 2025-01-05.",
    "It peaked on January 5, 2025.",
    "It peaked on Jan 5th.",
    "It peaked on 05/01/2025.",
    "The period ran from 1 January to 31 January 2025.",
    "In January 2025 readings were high.",
    "In 2025 readings were high.",
])
def test_it_accepts_dates_and_times_of_the_facts(text):
    assert unsupported(text) == []


@pytest.mark.parametrize("text, wrong", [
    ("The mean was 147.", ["147"]),
    ("The mean was 146.5.", ["146.5"]),                      # not a rounding of 146.37
    ("Adherence was 13.5%.", ["13.5"]),
    ("Peaked at 191/139.", ["191"]),
    ("0.2 is the mood.", []),                                # 0.21 rounded: fine
    ("It peaked on 6 January 2025.", ["6 January 2025"]),
    ("It peaked on 2025-01-06 at 09:30.", ["2025-01-06", "09:30"]),
    ("In February 2025 it was high.", ["February 2025"]),
    ("In 2024 it was high.", ["2024"]),
    ("A 24-hour average of 146.", ["24"]),
    ("Readings: 146, 999, 147, 999.", ["999", "147"]),       # each wrong number once, in order
])
def test_it_names_numbers_that_are_not_facts(text, wrong):
    assert unsupported(text) == wrong


def test_it_takes_zero_only_from_a_fact_that_is_zero():
    without_zero = fc.allowed_from_facts({"journal": {"mean_sentiment": 0.21}, "count": 4})
    assert fc.check("The mood was 0.", without_zero).unsupported == ["0"]  # 0.21 rounded to 0 is not a fact
    assert fc.check("The mood was 0.", ALLOWED).unsupported == []  # "missed": 0 is


def test_it_skips_list_markers_and_lower_case_month_words():
    assert fc.check("1. The mean was 146.\n2. Readings 3 may need review.", ALLOWED).numbers == ["146", "3"]


def test_it_lists_every_number_in_order():
    assert fc.check("On 2025-01-05 at 08:30 it was 190/139 (60%).", ALLOWED).numbers == [
        "2025-01-05", "08:30", "190", "139", "60"]


def test_it_collects_dates_times_and_numbers_from_the_facts():
    assert {1000.0, 8.0, 90.0, 139.0, 0.42, 146.37, 0.0} <= ALLOWED.numbers
    assert {d.isoformat() for d in ALLOWED.dates} == {"2025-01-01", "2025-01-31", "2025-01-05"}
    assert ALLOWED.times == {"08:30"}
    assert 12.0 not in ALLOWED.numbers  # "B12" is a name, not a number

