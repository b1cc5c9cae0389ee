"""A worker killed while it transcribes a spoken entry: the entry is saved once from a later run, or, when every
run kills its worker, the job ends failed; either way the recording leaves media storage."""

import signal

import psutil
import pytest

from assistant.tests.test_worker_killed import QUEUE, worker_process  # noqa: F401 (a fixture)
from journal import selectors, services
from journal.models import JournalEntry
from journal.tests.test_voice_entry import spoken
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until
from speech.models import AudioClip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def remote_whisper(model_server):
    serve(tier(), model("remote-asr", task="asr", backend="hf_inference", base_url=model_server.base_url,
                        model_id="meditrack/loopback-asr", queue=QUEUE))


def killing_the_worker(worker_process, times):  # noqa: F811
    """A model reply that kills the worker's process running the task, the first `times` calls."""
    calls = []

    def reply(request):
        calls.append(request)
        if len(calls) <= times:
            [child] = psutil.Process(worker_process.pid).children()
            child.send_signal(signal.SIGKILL)
        return "I slept badly and my knee hurts."

    return reply


def job_status(patient, job):
    return selectors.voice_entry_status(user=patient, job_id=job["job_id"])


def test_a_transcription_whose_worker_dies_is_saved_once_by_the_next_run(patient, model_server, remote_whisper,
                                                                         worker_process):  # noqa: F811
    model_server.reply = killing_the_worker(worker_process, times=1)
    job = services.voice_entry_submit(owner=patient, audio=spoken("I slept badly and my knee hurts."))

    wait_until(lambda: job_status(patient, job)["status"] != "transcribing", timeout=120, what="the job's end")

    status = job_status(patient, job)
    assert status["status"] == "done"
    [entry] = JournalEntry.objects.all()
    assert entry.pk == status["entry_id"] and entry.text == "I slept badly and my knee hurts."
    assert model_server.count("/models/meditrack/loopback-asr") == 2
    assert not AudioClip.objects.exists()


def test_a_recording_that_kills_every_worker_ends_failed_after_the_cap(patient, model_server, remote_whisper,
                                                                        worker_process):  # noqa: F811
    model_server.reply = killing_the_worker(worker_process, times=99)
    job = services.voice_entry_submit(owner=patient, audio=spoken("Hello."))

    wait_until(lambda: job_status(patient, job)["status"] != "transcribing", timeout=180, what="the job's end")

    assert (job_status(patient, job)["status"], job_status(patient, job)["error"]) == ("failed", "worker_lost")
    assert model_server.count("/models/meditrack/loopback-asr") == services.MAX_LOST_VOICE_RUNS
    assert not JournalEntry.objects.exists() and not AudioClip.objects.exists()
    assert worker_process.poll() is None  # the worker itself lives on
