"""Entries are analysed on the workers in batches: one model call per batch, nothing lost when a model fails."""

import threading

import pytest

from journal import services
from journal.models import EntryAnalysis
from meditrack.inference.errors import InferenceError
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.model_server import Fault
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = ["What a lovely day, I feel wonderful and grateful.",
         "The pain kept me awake all night, I am miserable.",
         "Picked up the prescription at the pharmacy."]


@pytest.fixture
def hosted(model_server):
    """The standard tier's sentiment, emotion and embedding models on the loopback server."""
    model_server.register("org/sentiment", task="text-classification", labels=("negative", "neutral", "positive"))
    model_server.register("org/emotion", task="text-classification", labels=("joy", "sadness", "neutral"))
    url = model_server.base_url
    serve(tier(), model("sentiment", task="sentiment", backend="hf_inference", base_url=url, model_id="org/sentiment"),
          model("emotion", task="emotion", backend="hf_inference", base_url=url, model_id="org/emotion"))
    serve(tier(), model("embedder", task="embedding", backend="hf_inference", base_url=url,
                        model_id="meditrack/loopback-embedder"))
    return model_server


def test_the_worker_analyses_new_entries_with_the_offline_defaults(patient_api, offline_models, worker):
    ids = [patient_api.post("/api/v1/journal/entries", {"text": t}, format="json").json()["id"] for t in TEXTS]

    wait_until(lambda: EntryAnalysis.objects.filter(entry_id__in=ids, status="done").count() == 3, timeout=120)

    analyses = {a.entry_id: a for a in EntryAnalysis.objects.filter(entry_id__in=ids)}
    labels = [analyses[i].sentiment_label for i in ids]
    assert labels[:2] == ["positive", "negative"]
    for a in analyses.values():
        assert abs(a.negative + a.neutral + a.positive - 1) < 1e-6
        assert a.score == pytest.approx(a.positive - a.negative)
        assert len(a.emotions) == 3 and a.emotions[0]["score"] >= a.emotions[1]["score"]
        assert len(a.embedding) == 384
        assert (a.sentiment_model, a.emotion_model, a.embedding_model) == (
            "meditrack-sentiment", "meditrack-emotion", "all-minilm-l6-v2")
        assert a.analysed_revision == 1 and a.claimed_until is None
    body = patient_api.get(f"/api/v1/journal/entries/{ids[0]}").json()
    assert body["analysis"]["status"] == "done" and body["analysis"]["scores"]["positive"] > 0.5


def test_a_batch_is_one_call_per_model_not_one_per_entry(patient, hosted):
    for i in range(12):
        services.entry_create(owner=patient, text=f"Entry number {i}: an ordinary day.")

    assert services.analysis_run_batch(tier="standard") == 12

    assert hosted.count("/models/org/sentiment") == 1
    assert hosted.count("/models/org/emotion") == 1
    assert EntryAnalysis.objects.filter(status="done", sentiment_model="sentiment").count() == 12


def test_a_model_failing_mid_batch_leaves_every_entry_pending_then_the_retry_saves_them(patient, hosted):
    for text in TEXTS:
        services.entry_create(owner=patient, text=text)
    hosted.fail_next(500, times=None, path="/models/org/emotion")  # sentiment answered; emotion fails

    with pytest.raises(InferenceError):
        services.analysis_run_batch(tier="standard")

    assert set(EntryAnalysis.objects.values_list("status", "score", "claimed_until")) == {("pending", None, None)}
    hosted.clear_faults()
    assert services.analysis_run_batch(tier="standard") == 3
    assert EntryAnalysis.objects.filter(status="done").count() == 3


def test_the_task_retries_a_failed_batch_on_the_worker(patient, hosted, worker):
    hosted.fail_next(503, times=4, path="/models/org/sentiment")
    entry = services.entry_create(owner=patient, text="Tired but hopeful.")

    wait_until(lambda: EntryAnalysis.objects.get(entry=entry).status == "done", timeout=90)

    analysis = EntryAnalysis.objects.get(entry=entry)
    assert analysis.attempts >= 2 and analysis.sentiment_model == "sentiment"


def test_an_entry_edited_while_it_is_analysed_keeps_waiting_for_its_new_text(patient, hosted):
    entry = services.entry_create(owner=patient, text="The first version of my day.")
    hosted.delay_next(1.5, path="/models/org/sentiment")
    run = threading.Thread(target=services.analysis_run_batch, kwargs={"tier": "standard"})
    run.start()
    wait_until(lambda: hosted.count("/models/org/sentiment") == 1, timeout=10, interval=0.02)

    services.entry_update(entry=entry, text="The second version, rewritten.")
    run.join()

    analysis = EntryAnalysis.objects.get(entry=entry)
    assert (analysis.status, analysis.analysed_revision, analysis.claimed_until) == ("pending", None, None)
    assert services.analysis_run_batch(tier="standard") == 1
    assert EntryAnalysis.objects.get(entry=entry).analysed_revision == 2


def test_two_workers_never_claim_the_same_entries(patient, hosted):
    for i in range(6):
        services.entry_create(owner=patient, text=f"Day {i}")
    hosted.delay_next(1.0, path="/models/org/sentiment")
    results = []
    runs = [threading.Thread(target=lambda: results.append(services.analysis_run_batch(tier="standard",
                                                                                      batch_size=4)))
            for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert sorted(results) == [2, 4]
    assert EntryAnalysis.objects.filter(status="done", attempts=1).count() == 6


def test_an_entry_the_model_refuses_is_found_by_halving_and_marked_failed(patient, hosted):
    entries = [services.entry_create(owner=patient, text=f"Ordinary day {i}.") for i in range(5)]
    poison = services.entry_create(owner=patient, text="An entry this model refuses.")
    hosted.add_fault(Fault("status", status=400, times=None, path="/models/org/sentiment", body_contains=b"refuses"))

    # As the queued runs would: each run halves a refused batch; the rest wait for the next run.
    saved = sum(services.analysis_run_batch(tier="standard") for _ in range(8))

    assert saved == 5
    assert set(EntryAnalysis.objects.filter(entry__in=entries).values_list("status", flat=True)) == {"done"}
    assert EntryAnalysis.objects.get(entry=poison).status == "failed"


def test_a_sentiment_model_with_unknown_labels_is_passed_over(patient, hosted):
    hosted.register("org/stars", task="text-classification", labels=("1 star", "3 stars", "5 stars"))
    stars = model("stars", task="sentiment", backend="hf_inference", base_url=hosted.base_url, model_id="org/stars")
    fallback = model("sentiment", task="sentiment", backend="hf_inference", base_url=hosted.base_url,
                     model_id="org/sentiment")
    serve(tier(), stars, fallback)
    entry = services.entry_create(owner=patient, text="Fine.")

    services.analysis_run_batch(tier="standard")

    analysis = EntryAnalysis.objects.get(entry=entry)
    assert (analysis.status, analysis.sentiment_model) == ("done", "sentiment")
