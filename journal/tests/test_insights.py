"""journal.insights on hand-made journals: what a user relies on in the insights pages. Pure data, no database."""

import json
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from journal.insights.comprehensive import comprehensive
from journal.insights.entries import EntryFacts
from journal.insights.predictive import predictive
from journal.insights.profile import DISCLAIMER, ProfileSchema, fallback_profile, profile_citations_valid

TODAY = date(2025, 3, 31)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int = 12, minute: int = 0, tz=UTC) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def make(entry_id: int, written_at: datetime, score: float | None = 0.0, text: str = "An ordinary day.",
         mood: int | None = None, emotions=(), embedding=None) -> EntryFacts:
    label = None if score is None else "negative" if score < -0.09 else "positive" if score > 0.09 else "neutral"
    return EntryFacts(id=entry_id, written_at=written_at, text=text, mood=mood, score=score, label=label,
                      emotions=list(emotions), embedding=embedding)


def daily(scores: list[float], *, end: date = TODAY, first_id: int = 1, **kwargs) -> list[EntryFacts]:
    """One entry a day, the last on `end`, with these scores in order."""
    start = end - timedelta(days=len(scores) - 1)
    return [make(first_id + i, at(start + timedelta(days=i)), score, **kwargs) for i, score in enumerate(scores)]


def noise(n: int, size: float, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-size, size, n)


def factor(result: dict, code: str) -> dict | None:
    return next((f for f in result["risk_factors"] if f["code"] == code), None)


# --- predictive: trend, volatility, complaints ---------------------------------------------------------------------

def test_it_flags_a_journal_that_gets_steadily_worse_with_a_negative_slope():
    scores = np.linspace(0.6, -0.6, 14) + noise(14, 0.05)
    entries = daily(list(scores))

    result = predictive(entries, tz=UTC, today=TODAY)

    risk = factor(result, "negative_trend")
    assert risk is not None and result["checks"]["negative_trend"] == "flagged"
    evidence = risk["evidence"]
    assert evidence["slope_per_day"] == pytest.approx(-1.2 / 13, abs=0.01)
    assert evidence["ci95"][0] < evidence["slope_per_day"] < evidence["ci95"][1] < 0
    assert evidence["p_value_falling"] < 0.001 and evidence["days"] == 14
    assert risk["severity"] == "high"
    assert evidence["entry_ids"] == [e.id for e in entries]
    json.dumps(result)


def test_it_does_not_flag_a_flat_journal():
    entries = daily(list(0.2 + noise(28, 0.15)))

    result = predictive(entries, tz=UTC, today=TODAY)

    assert result["checks"]["negative_trend"] == "clear" and result["checks"]["rising_volatility"] == "clear"
    assert result["risk_factors"] == []
    assert result["trend"]["ci95"][0] < 0 < result["trend"]["ci95"][1]
    assert result["insufficient_data"] is False


def test_it_gives_the_slope_its_standard_error_and_t_interval():
    x = np.arange(-11, 1, dtype=float)  # 12 days: 10 degrees of freedom, t(0.975) = 2.228
    y = 0.1 - 0.02 * x + noise(12, 0.1, seed=3)
    entries = daily(list(y))

    trend = predictive(entries, tz=UTC, today=TODAY)["trend"]

    (slope, intercept), residuals = np.polyfit(x, y, 1), None
    residuals = y - (intercept + slope * x)
    std_error = np.sqrt(residuals @ residuals / 10 / ((x - x.mean()) ** 2).sum())
    assert trend["slope_per_day"] == pytest.approx(slope, abs=1e-5)
    assert trend["std_error"] == pytest.approx(std_error, abs=1e-5)
    assert trend["ci95"] == pytest.approx([slope - 2.2281 * std_error, slope + 2.2281 * std_error], abs=1e-4)
    assert trend["df"] == 10 and trend["window"] == {"from": "2025-03-18", "to": "2025-03-31"}


def test_it_flags_volatility_that_rose_in_the_last_fortnight_but_not_a_calming_one():
    calm = list(0.1 + noise(14, 0.03))
    swings = [0.7 if i % 2 else -0.7 for i in range(14)]

    rising = predictive(daily(calm + swings), tz=UTC, today=TODAY)
    settling = predictive(daily(swings + calm), tz=UTC, today=TODAY)

    risk = factor(rising, "rising_volatility")
    assert risk is not None and risk["evidence"]["ratio"] > 5 and risk["evidence"]["p_value"] < 0.001
    assert risk["evidence"]["recent_std"] > risk["evidence"]["previous_std"]
    assert len(risk["evidence"]["entry_ids"]) == 14 and min(risk["evidence"]["entry_ids"]) == 15
    assert factor(settling, "rising_volatility") is None
    assert settling["checks"]["rising_volatility"] == "clear"


def test_it_does_not_call_a_steady_fall_volatile():
    result = predictive(daily(list(np.linspace(0.8, -0.8, 28) + noise(28, 0.02))), tz=UTC, today=TODAY)

    assert factor(result, "rising_volatility") is None and factor(result, "negative_trend") is not None


def test_it_counts_sleep_complaints_in_the_last_fortnight_with_their_ids():
    entries = [
        make(1, at(TODAY - timedelta(days=20)), text="Couldn't sleep at all."),  # too long ago
        make(2, at(TODAY - timedelta(days=10)), text="I couldn’t fall asleep until 3."),
        make(3, at(TODAY - timedelta(days=9)), text="Nice lunch with Sam."),
        make(4, at(TODAY - timedelta(days=6)), text="Insomnia again, so tired."),
        make(5, at(TODAY - timedelta(days=2)), text="Tossing and turning, woke up at 4am."),
        make(6, at(TODAY - timedelta(days=1)), text="I slept well for once."),
    ]

    result = predictive(entries, tz=UTC, today=TODAY)

    risk = factor(result, "sleep_complaints")
    assert risk is not None and risk["severity"] == "low"
    assert risk["evidence"]["entry_ids"] == [2, 4, 5] and risk["evidence"]["days"] == 3


def test_it_does_not_count_one_bad_night_written_about_three_times():
    day = TODAY - timedelta(days=3)
    entries = [make(i, at(day, hour), text="I can't sleep.") for i, hour in enumerate((1, 2, 3), 1)]

    result = predictive(entries, tz=UTC, today=TODAY)

    assert factor(result, "sleep_complaints") is None and result["checks"]["sleep_complaints"] == "clear"


def test_it_counts_stress_but_not_its_absence():
    texts = ["So stressed out about the move.", "Feeling overwhelmed by everything.", "Not stressed at all today.",
             "A stress-free weekend.", "Anxious before the appointment.", "I can't stress enough how nice it was."]
    entries = [make(i, at(TODAY - timedelta(days=i)), text=text) for i, text in enumerate(texts, 1)]

    risk = factor(predictive(entries, tz=UTC, today=TODAY), "stress_complaints")

    # Oldest first: entry 5 was written four days before entry 1.
    assert risk is not None and risk["evidence"]["entry_ids"] == [5, 2, 1]


def test_it_reports_recent_crisis_language_as_high_whatever_else():
    entries = [make(1, at(TODAY - timedelta(days=60)), text="I wanted to end my life."),
               make(2, at(TODAY - timedelta(days=3)), text="A good walk."),
               make(3, at(TODAY - timedelta(days=1)), text="I'd be better off dead. I want to hurt myself.")]

    result = predictive(entries, tz=UTC, today=TODAY)

    risk = factor(result, "crisis_language")
    assert risk is not None and risk["severity"] == "high" and result["risk_factors"][0] is risk
    assert risk["evidence"]["entry_ids"] == [3]
    assert risk["evidence"]["categories"] == {"suicidal_ideation": [3], "self_harm": [3]}
    assert "dead" not in json.dumps(result)


# --- forecast and too little data ----------------------------------------------------------------------------------

def test_it_forecasts_mood_with_an_interval_that_contains_the_trend_and_widens():
    days = np.arange(-27, 1)
    trend = 6.0 + 0.05 * days
    moods = np.clip(np.round(trend + noise(28, 0.8, seed=5)), 1, 10).astype(int)
    entries = [make(i, at(TODAY + timedelta(days=int(d))), 0.0, mood=int(m))
               for i, (d, m) in enumerate(zip(days, moods, strict=True), 1)]

    forecast = predictive(entries, tz=UTC, today=TODAY)["forecast"]

    assert forecast["scale"] == "mood" and forecast["range"] == [1.0, 10.0] and not forecast["insufficient_data"]
    points = forecast["points"]
    assert [p["date"] for p in points] == [(TODAY + timedelta(days=h)).isoformat() for h in range(1, 8)]
    for h, point in enumerate(points, 1):
        assert point["low"] < 6.0 + 0.05 * h < point["high"]
        assert point["low"] <= point["predicted"] <= point["high"]
    widths = [p["high"] - p["low"] for p in points]
    assert widths == sorted(widths) and widths[-1] > widths[0]


def test_it_forecasts_the_sentiment_score_when_no_mood_is_rated():
    forecast = predictive(daily(list(np.linspace(-0.2, 0.2, 20))), tz=UTC, today=TODAY)["forecast"]

    assert forecast["scale"] == "sentiment" and forecast["range"] == [-1.0, 1.0]
    assert all(-1 <= p["low"] <= p["predicted"] <= p["high"] <= 1 for p in forecast["points"])
    assert forecast["points"][0]["predicted"] > 0.2


def test_it_says_so_when_there_is_too_little_data():
    entries = [make(1, at(TODAY - timedelta(days=1)), 0.3, mood=7), make(2, at(TODAY), None, mood=6)]

    result = predictive(entries, tz=UTC, today=TODAY)
    empty = predictive([], tz=UTC, today=TODAY)

    assert result["insufficient_data"] is True and result["trend"] is None and result["volatility"] is None
    assert result["checks"]["negative_trend"] == "insufficient_data"
    assert result["forecast"]["insufficient_data"] is True and result["forecast"]["points"] == []
    assert empty["insufficient_data"] is True and empty["risk_factors"] == []
    assert set(empty["checks"].values()) == {"insufficient_data"}
    facts = comprehensive([], tz=UTC, today=TODAY)
    assert facts["entry_count"] == 0 and facts["period"] is None and facts["themes"]["items"] == []
    assert facts["weeks"]["best"] is None and facts["mood"] is None
    json.dumps([result, empty, facts])


def test_it_refuses_a_naive_time_without_quoting_the_entry():
    entry = make(7, datetime(2025, 3, 1, 12), text="my secret")

    with pytest.raises(ValueError) as error:
        comprehensive([entry], tz=UTC, today=TODAY)

    assert "7" in str(error.value) and "secret" not in str(error.value)


# --- comprehensive -------------------------------------------------------------------------------------------------

def test_it_averages_each_local_day_and_rolls_a_seven_day_mean_over_the_days_written():
    entries = [
        make(1, at(date(2025, 3, 1), 9), 0.2),
        make(2, at(date(2025, 3, 1), 20), 0.4),
        # 23:30 UTC on 1 March is 00:30 on 2 March in Berlin.
        make(3, at(date(2025, 3, 1), 23, 30), -0.1),
        make(4, at(date(2025, 3, 9), 10), 0.5),
        make(5, at(date(2025, 3, 9), 11), None, mood=4),
    ]

    facts = comprehensive(entries, tz=BERLIN, today=TODAY)

    assert facts["sentiment"]["daily"] == [
        {"date": "2025-03-01", "mean_score": 0.3, "entries": 2, "rolling_mean": 0.3},
        {"date": "2025-03-02", "mean_score": -0.1, "entries": 1, "rolling_mean": 0.1},
        # 3 to 9 March: only the 9th was written.
        {"date": "2025-03-09", "mean_score": 0.5, "entries": 1, "rolling_mean": 0.5},
    ]
    assert facts["entry_count"] == 5 and facts["analysed_count"] == 4
    assert facts["period"] == {"first": "2025-03-01", "last": "2025-03-09", "days": 9}
    assert facts["labels"]["counts"] == {"negative": 1, "neutral": 0, "positive": 3}
    assert facts["mood"]["daily"] == [{"date": "2025-03-09", "mean_mood": 4.0, "entries": 1}]
    assert facts["patterns"]["time_of_day"]["night"]["entries"] == 1  # 00:30 local
    assert facts["patterns"]["weekday"]["sunday"]["entries"] == 3  # 2 and 9 March 2025
    assert facts["patterns"]["length_words"]["total"] == 15


def test_it_rolls_the_mean_over_exactly_seven_days():
    entries = daily([0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])

    rolling = [day["rolling_mean"] for day in comprehensive(entries, tz=UTC, today=TODAY)["sentiment"]["daily"]]

    assert rolling == pytest.approx([0.7, 0.35, 0.7 / 3, 0.175, 0.14, 0.7 / 6, 0.1, 0.0], abs=1e-4)


def test_it_picks_the_best_and_worst_weeks_among_those_with_two_entries():
    monday = date(2025, 3, 3)
    entries = [
        make(1, at(monday), 0.5), make(2, at(monday + timedelta(days=2)), 0.3),  # W10: 0.4
        make(3, at(monday + timedelta(days=7)), -0.6), make(4, at(monday + timedelta(days=8)), -0.2),  # W11: -0.4
        make(5, at(monday + timedelta(days=14)), 0.9),  # W12: alone, not eligible
        make(6, at(monday + timedelta(days=21)), 0.1), make(7, at(monday + timedelta(days=27)), 0.0),  # W13
        make(8, at(monday + timedelta(days=22)), None),
    ]

    facts = comprehensive(entries, tz=UTC, today=TODAY)

    assert facts["weeks"]["best"] == {"week": "2025-W10", "start": "2025-03-03", "mean_score": 0.4, "entries": 2,
                                  "entry_ids": [1, 2]}
    assert facts["weeks"]["worst"]["week"] == "2025-W11" and facts["weeks"]["worst"]["entry_ids"] == [3, 4]
    assert facts["weeks"]["eligible_weeks"] == 3


def test_it_aggregates_emotions_over_entries():
    entries = [make(1, at(TODAY), emotions=[("sadness", 0.6), ("fear", 0.3)]),
               make(2, at(TODAY), emotions=[("joy", 0.5), ("sadness", 0.2)]),
               make(3, at(TODAY))]

    top = comprehensive(entries, tz=UTC, today=TODAY)["top_emotions"]

    assert top[0] == {"label": "sadness", "mean_score": 0.4, "entries": 2, "first_in": 1}
    assert [e["label"] for e in top] == ["sadness", "joy", "fear"]


WORK = "deadline meeting boss office project email presentation report".split()
GARDEN = "garden flowers roses tomatoes watering sunshine compost seedlings".split()


def two_topics(n: int = 24, seed: int = 0) -> tuple[list[EntryFacts], set[int], set[int]]:
    """n entries about work and n about the garden: embeddings near two random centres, texts of each topic's words
    among common words."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2, 384))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    chooser = random.Random(seed)
    entries, ids = [], ({*()}, {*()})
    for i in range(2 * n):
        topic = i % 2
        vector = centres[topic] + rng.standard_normal(384) * 0.05
        words = [chooser.choice(WORK if topic == 0 else GARDEN) for _ in range(4)]
        text = f"Today I had the {words[0]} and the {words[1]}, then {words[2]} with {words[3]}, and I felt it."
        entry_id = 100 + i
        ids[topic].add(entry_id)
        entries.append(make(entry_id, at(TODAY - timedelta(days=i)), -0.4 if topic == 0 else 0.5, text=text,
                            embedding=(vector / np.linalg.norm(vector)).astype(np.float32)))
    return entries, ids[0], ids[1]


def test_it_separates_two_clearly_different_themes_and_names_them_by_their_words():
    entries, work, garden = two_topics()

    facts = comprehensive(entries, tz=UTC, today=TODAY)

    assert facts["themes"]["status"] == "ok" and facts["themes"]["k"] == 2
    themes = {frozenset(t["entry_ids"]): t for t in facts["themes"]["items"]}
    assert set(themes) == {frozenset(work), frozenset(garden)}
    work_theme, garden_theme = themes[frozenset(work)], themes[frozenset(garden)]
    assert work_theme["keywords"] and set(work_theme["keywords"]) <= set(WORK)
    assert garden_theme["keywords"] and set(garden_theme["keywords"]) <= set(GARDEN)
    assert work_theme["mean_score"] == -0.4 and work_theme["label"] == "negative"
    assert garden_theme["label"] == "positive"
    assert set(work_theme["representative_ids"]) <= work and len(work_theme["representative_ids"]) == 5
    json.dumps(facts)


def test_it_finds_the_same_themes_whatever_the_order_of_the_entries():
    entries, _, _ = two_topics(n=30, seed=4)
    shuffled = entries[::-1]
    random.Random(1).shuffle(shuffled)

    assert comprehensive(entries, tz=UTC, today=TODAY) == comprehensive(shuffled, tz=UTC, today=TODAY)


def test_it_skips_entries_without_embeddings_and_needs_a_few_for_themes():
    entries, work, garden = two_topics()
    plain = [make(1, at(TODAY), 0.0, text="Nothing here.")]

    facts = comprehensive(entries + plain, tz=UTC, today=TODAY)
    few = comprehensive(entries[:4] + plain, tz=UTC, today=TODAY)

    assert {i for t in facts["themes"]["items"] for i in t["entry_ids"]} == work | garden
    assert few["themes"]["items"] == [] and few["themes"]["status"] == "insufficient_data"


# --- profile -------------------------------------------------------------------------------------------------------

def test_it_builds_a_fallback_profile_that_cites_only_existing_entries():
    entries, work, garden = two_topics()
    extra = [make(500 + i, at(TODAY - timedelta(days=i)), 0.4, text=text) for i, text in enumerate(
        ["Went for a long walk by the river.", "Another evening walk helped me calm down.",
         "Couldn't sleep again.", "Insomnia, up all night.", "Lay awake for hours."])]
    entries += extra
    facts = comprehensive(entries, tz=UTC, today=TODAY)
    facts["themes"]["items"][0]["representative_ids"].insert(0, 999_999)  # a stale id

    profile = fallback_profile(entries, facts)

    known = {e.id for e in entries}
    assert profile["kind"] == "reflective_profile" and profile["generated_by"] == "facts"
    assert profile["disclaimer"] == DISCLAIMER == "A reflection of what you wrote, not a diagnosis."
    statements = [s for section in ("recurring_concerns", "coping_strategies", "sources_of_energy")
                  for s in profile[section]]
    assert statements and all(s["entry_ids"] and set(s["entry_ids"]) <= known for s in statements)
    concerns = " ".join(s["statement"] for s in profile["recurring_concerns"])
    assert "deadline" in concerns or "boss" in concerns or "meeting" in concerns
    assert any(set(s["entry_ids"]) == {502, 503, 504} for s in profile["recurring_concerns"])
    walk = [s for s in profile["coping_strategies"] if s["statement"].startswith("Going for a walk")]
    assert walk and set(walk[0]["entry_ids"]) == {500, 501}
    assert any(set(s["entry_ids"]) <= garden for s in profile["sources_of_energy"])
    ProfileSchema.model_validate(profile)
    json.dumps(profile)


def test_it_keeps_only_profile_statements_that_cite_known_entries():
    profile = ProfileSchema.model_validate({
        "recurring_concerns": [{"statement": "Work worries you.", "entry_ids": [1, 2, 2]},
                               {"statement": "Invented.", "entry_ids": [1, 77]}],
        "coping_strategies": [{"statement": " Walking helps. ", "entry_ids": [3]}],
        "sources_of_energy": [{"statement": "Made up.", "entry_ids": [99]}],
        "extra": "ignored",
    })

    valid = profile_citations_valid(profile, {1, 2, 3})

    assert valid.model_dump() == {
        "recurring_concerns": [{"statement": "Work worries you.", "entry_ids": [1, 2]}],
        "coping_strategies": [{"statement": "Walking helps.", "entry_ids": [3]}],
        "sources_of_energy": [],
    }
    with pytest.raises(ValueError):
        profile_citations_valid(profile, {42})


def test_it_rejects_statements_without_citations_or_too_long():
    with pytest.raises(ValueError):
        ProfileSchema.model_validate({"recurring_concerns": [{"statement": "No source.", "entry_ids": []}]})
    with pytest.raises(ValueError):
        ProfileSchema.model_validate({"coping_strategies": [{"statement": "x" * 301, "entry_ids": [1]}]})
