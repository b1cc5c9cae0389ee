"""A real prefork worker whose process is SIGKILLed while a journal analysis batch waits on its model: the
redelivered task takes the batch up again at once (not once the dead run's lease runs out), every entry is
analysed exactly once, and an entry whose every run kills the worker ends failed with the others done."""

import signal

import psutil
import pytest
from django.db import transaction

from assistant.tests.test_worker_killed import QUEUE, worker_process  # noqa: F401 (a fixture)
from journal import services
from journal.models import EntryAnalysis
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.model_server import Fault
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SENTIMENT = "org/sentiment"
TEXTS = ["Slept well and walked to the park.", "A headache all afternoon."]


@pytest.fixture
def hosted_on_the_worker(model_server):
    """The standard tier's analysis models on the loopback server, run by the worker_process's queue."""
    model_server.register(SENTIMENT, task="text-classification", labels=("negative", "neutral", "positive"))
    model_server.register("org/emotion", task="text-classification", labels=("joy", "sadness", "neutral"))
    url = model_server.base_url
    serve(tier(), model("sentiment", task="sentiment", backend="hf_inference", base_url=url, model_id=SENTIMENT,
                        queue=QUEUE),
          model("emotion", task="emotion", backend="hf_inference", base_url=url, model_id="org/emotion", queue=QUEUE))
    serve(tier(), model("embedder", task="embedding", backend="hf_inference", base_url=url,
                        model_id="meditrack/loopback-embedder", queue=QUEUE))
    return model_server


def write_entries(owner, texts):
    # One transaction: the first run queued finds them all, and claims them as one batch.
    with transaction.atomic():
        return [services.entry_create(owner=owner, text=text) for text in texts]


def held_until_killed(server, *, containing: str) -> None:
    """The sentiment model holds the requests that carry this text until the worker is killed (the server hangs
    up on them at the test's end): the kill lands while a batch waits on its model, never after it was saved."""
    server.add_fault(Fault("delay", seconds=120, model=SENTIMENT, times=None, body_contains=containing.encode()))


def sentiment_calls(server, text: str) -> int:
    return sum(1 for r in server.requests if r.model == SENTIMENT and text.encode() in r.body)


def kill_the_child(worker) -> None:
    # One pool process (concurrency 1); one just killed may linger a moment as a zombie.
    [child] = [c for c in psutil.Process(worker.pid).children() if c.status() != psutil.STATUS_ZOMBIE]
    child.send_signal(signal.SIGKILL)


def test_a_batch_whose_worker_is_killed_is_analysed_once_but_the_entry_that_keeps_killing_it_ends_failed(
        patient, patient_api, hosted_on_the_worker, worker_process):  # noqa: F811
    # The first run holds all three and dies; its redelivery tries them one at a time: the two others are
    # analysed, and the one that kills every run holding it is given up on after MAX_LOST_RUNS.
    server = hosted_on_the_worker
    killer = "An entry whose analysis takes its worker down."
    held_until_killed(server, containing=killer)
    entries = write_entries(patient, [TEXTS[0], killer, TEXTS[1]])

    kills = 0
    while EntryAnalysis.objects.get(entry=entries[1]).status == "pending":
        if sentiment_calls(server, killer) > kills:
            kill_the_child(worker_process)
            kills += 1
        assert kills <= services.MAX_LOST_RUNS, "the entry was tried again after MAX_LOST_RUNS deaths"
        wait_until(lambda kills=kills: sentiment_calls(server, killer) > kills
                   or EntryAnalysis.objects.get(entry=entries[1]).status != "pending",
                   timeout=30, what="the killer entry's next run or its end")

    wait_until(lambda: not EntryAnalysis.objects.filter(status="pending").exists(), timeout=30,
               what="the other entries analysed")
    statuses = dict(EntryAnalysis.objects.values_list("entry_id", "status"))
    assert statuses == {entries[0].pk: "done", entries[1].pk: "failed", entries[2].pk: "done"}
    assert kills == sentiment_calls(server, killer) == services.MAX_LOST_RUNS
    analyses = EntryAnalysis.objects.filter(entry__in=entries)
    assert analyses.count() == len(entries) == EntryAnalysis.objects.count()
    assert set(analyses.values_list("claimed_until", flat=True)) == {None}
    for entry in (entries[0], entries[2]):
        # The batch that died, then its own run: nothing analysed again once saved.
        assert sentiment_calls(server, entry.text) == 2
        analysis = patient_api.get(f"/api/v1/journal/entries/{entry.pk}").json()["analysis"]
        assert analysis["status"] == "done" and analysis["scores"] is not None
    assert patient_api.get(f"/api/v1/journal/entries/{entries[1].pk}").json()["analysis"]["status"] == "failed"
    assert worker_process.poll() is None
