"""journal/insights/<kind>: 202 while a worker computes it, then 200 from the cache until the journal changes;
'insight.ready' is pushed when it is there."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from journal import services
from journal.models import EntryAnalysis, JournalEntry
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/journal/insights/"


def analysed_journal(owner, scores: list[float], texts: list[str] | None = None) -> list[JournalEntry]:
    """One analysed entry a day, the last one today; written as the analysis task would have saved them."""
    now = timezone.now()
    entries = []
    for i, score in enumerate(scores):
        text = texts[i] if texts else f"Day {i} of my journal."
        written_at = now - timedelta(days=len(scores) - 1 - i)
        entry = JournalEntry.objects.create(owner=owner, text=text, written_at=written_at)
        label = "positive" if score > 0.1 else "negative" if score < -0.1 else "neutral"
        EntryAnalysis.objects.create(entry=entry, status="done", score=score, sentiment_label=label,
                                     negative=max(0, -score), positive=max(0, score), neutral=1 - abs(score),
                                     emotions=[{"label": "sadness" if score < 0 else "joy", "score": 0.6}])
        entries.append(entry)
    services.insight_cache_invalidate(owner_id=owner.pk)
    return entries


def ready(api, kind):
    def fetch():
        response = api.get(URL + kind)
        return response if response.status_code == 200 else None
    return wait_until(fetch, timeout=60)


def test_it_answers_202_then_the_insight_then_recomputes_after_a_write(patient_api, patient, worker):
    analysed_journal(patient, [0.5, 0.4, -0.2, 0.1])

    first = patient_api.get(URL + "comprehensive")
    assert first.status_code == 202 and first.json()["status"] == "computing"
    body = ready(patient_api, "comprehensive").json()
    assert body["kind"] == "comprehensive" and body["entry_count"] == 4 and body["pending_entries"] == 0
    assert body["result"]["labels"]["counts"] == {"negative": 1, "neutral": 1, "positive": 2}
    assert patient_api.get(URL + "comprehensive").json() == body  # from the cache now

    services.entry_create(owner=patient, text="One more entry.")
    assert patient_api.get(URL + "comprehensive").status_code == 202
    assert ready(patient_api, "comprehensive").json()["entry_count"] == 5


def test_it_computes_each_users_insight_from_their_own_journal(patient_api, patient, other_patient, worker):
    analysed_journal(other_patient, [0.3] * 6)
    analysed_journal(patient, [0.1, 0.2])
    patient_api.get(URL + "comprehensive")
    assert ready(patient_api, "comprehensive").json()["entry_count"] == 2


def test_it_flags_a_sustained_negative_trend_with_sleep_complaints(patient_api, patient, worker):
    scores = [0.6 - 0.07 * i for i in range(21)]
    texts = [f"Day {i}." + (" I couldn't sleep again last night." if i >= 14 else "") for i in range(21)]
    entries = analysed_journal(patient, scores, texts)

    patient_api.get(URL + "predictive")
    result = ready(patient_api, "predictive").json()["result"]

    codes = {factor["code"]: factor for factor in result["risk_factors"]}
    assert "negative_trend" in codes and result["trend"]["slope_per_day"] < 0
    assert set(codes["sleep_complaints"]["evidence"]["entry_ids"]) <= {e.pk for e in entries[14:]}
    forecast = result["forecast"]
    assert len(forecast["points"]) == 7 and forecast["scale"] == "sentiment"
    assert all(p["low"] <= p["predicted"] <= p["high"] for p in forecast["points"])


def test_days_begin_and_end_in_the_users_time_zone(patient_api, patient, worker):
    patient.time_zone = "Asia/Tokyo"
    patient.save()
    late_evening_utc = timezone.now().replace(hour=20, minute=0) - timedelta(days=2)
    entry = JournalEntry.objects.create(owner=patient, text="Late.", written_at=late_evening_utc)
    EntryAnalysis.objects.create(entry=entry, status="done", score=0.5, sentiment_label="positive")

    patient_api.get(URL + "comprehensive")
    result = ready(patient_api, "comprehensive").json()["result"]

    tokyo_day = (late_evening_utc + timedelta(hours=9)).date().isoformat()  # 05:00 the next morning there
    assert [day["date"] for day in result["sentiment"]["daily"]] == [tokyo_day]
    assert result["timezone"] == "Asia/Tokyo" and result["patterns"]["time_of_day"]["morning"]["entries"] == 1


def test_an_unknown_insight_is_404(patient_api):
    response = patient_api.get(URL + "horoscope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_it_requires_authentication(api):
    assert api.get(URL + "comprehensive").status_code == 401


@pytest.fixture
def chat_model(model_server):
    chat = model("loopback-chat", base_url=f"{model_server.base_url}/v1", model_id="loopback-chat", queue="io")
    serve(tier(), chat)
    return model_server


def test_the_profile_keeps_only_statements_that_cite_real_entries(patient_api, patient, chat_model, worker):
    entries = analysed_journal(patient, [0.4, -0.5, 0.3], ["Walked with my dog, felt calm.",
                                                          "Worried about money all day.", "Yoga helped my back."])
    ids = [e.pk for e in entries]
    chat_model.reply = json.dumps({
        "recurring_concerns": [{"statement": "Money worries come back.", "entry_ids": [ids[1]]},
                               {"statement": "An invented worry.", "entry_ids": [999999]}],
        "coping_strategies": [{"statement": "Movement helps you.", "entry_ids": [ids[0], ids[2]]}],
        "sources_of_energy": []})

    patient_api.get(URL + "profile")
    profile = ready(patient_api, "profile").json()["result"]

    assert profile["generated_by"] == "loopback-chat"
    assert profile["disclaimer"] and "diagnosis" in profile["disclaimer"]
    assert [s["statement"] for s in profile["recurring_concerns"]] == ["Money worries come back."]
    assert profile["coping_strategies"][0]["entry_ids"] == [ids[0], ids[2]]


def test_the_profile_is_rendered_from_the_facts_when_no_model_serves(patient_api, patient, chat_model, worker):
    analysed_journal(patient, [0.4, -0.5, 0.3, -0.2])
    chat_model.fail_next(500, times=None)

    patient_api.get(URL + "profile")
    profile = ready(patient_api, "profile").json()["result"]

    assert profile["generated_by"] == "facts" and profile["kind"] == "reflective_profile"
    known = set(JournalEntry.objects.values_list("pk", flat=True))
    for section in ("recurring_concerns", "coping_strategies", "sources_of_energy"):
        assert all(set(s["entry_ids"]) <= known for s in profile[section])
