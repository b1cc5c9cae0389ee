import pytest

from meditrack.patients import thresholds as t
from meditrack.patients.models import Vital


def test_it_covers_every_vital_kind():
    assert set(t.KINDS) == set(Vital.Kind.values) == set(t.THRESHOLDS) == set(t.UNITS) == set(t.UCUM)


@pytest.mark.parametrize("kind", t.KINDS)
def test_it_has_contiguous_bands_that_agree_with_the_normal_range(kind):
    threshold = t.THRESHOLDS[kind]
    bands = threshold.bands
    for below, above in zip(bands, bands[1:], strict=False):
        assert below.high == above.low
    if bands:
        assert bands[0].low is None and bands[-1].high is None
    for value in range(int(threshold.plausible_low), int(threshold.plausible_high) + 1):
        band = t.classify(kind, value)
        if band is not None and band.severity == "normal":
            assert not t.is_out_of_range(kind, value)
        if band is not None and band.severity in ("abnormal", "critical"):
            assert t.is_out_of_range(kind, value)


@pytest.mark.parametrize(("kind", "value", "out"), [
    ("bp_systolic", 139, False), ("bp_systolic", 140, True), ("bp_systolic", 89, True),
    ("bp_diastolic", 89, False), ("bp_diastolic", 90, True),
    ("heart_rate", 100, False), ("heart_rate", 101, True), ("heart_rate", 59, True),
    ("glucose", 180, False), ("glucose", 181, True), ("glucose", 69, True),
    ("temperature", 37.9, False), ("temperature", 38.0, True),
    ("spo2", 100, False), ("spo2", 94, True),
    ("respiratory_rate", 20, False), ("respiratory_rate", 21, True),
    ("weight", 300, False),
])
def test_it_says_which_readings_are_out_of_range(kind, value, out):
    assert t.is_out_of_range(kind, value) is out


def test_it_converts_to_the_canonical_unit():
    assert t.to_canonical("glucose", 7.0, "mmol/L") == pytest.approx(126.1, abs=0.1)
    assert t.to_canonical("temperature", 98.6, "[degF]") == pytest.approx(37.0)
    assert t.to_canonical("weight", 100, "lb") == pytest.approx(45.36, abs=0.01)
    assert t.to_canonical("heart_rate", 72, "/min") == 72


def test_it_refuses_a_unit_that_does_not_fit_the_kind():
    with pytest.raises(t.UnitError):
        t.to_canonical("bp_systolic", 120, "kg")


def test_it_categorises_blood_pressure_by_the_worse_reading():
    assert t.bp_category(118, 76) == "Normal"
    assert t.bp_category(125, 78) == "Elevated"
    assert t.bp_category(128, 85) == "Stage 1 hypertension"
    assert t.bp_category(150, 85) == "Stage 2 hypertension"
    assert t.bp_category(185, 100) == "Hypertensive crisis"
