"""journal/entries/voice: a recording is transcribed on a worker and saved as an entry."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journal import selectors, services
from journal.models import JournalEntry
from meditrack.celery import QUEUES
from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.types import BackendName, ModelSpec, Task
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until
from speech.tests.recordings import encoded, flac_claiming

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/journal/entries/voice"


def spoken(text: str) -> bytes:
    espeak = ModelSpec(slug="espeak", task=Task.TTS, backend=BackendName.BUILTIN, model_id="espeak-ng",
                       params={"voice": "en-us", "rate": 150})
    return BuiltinBackend().synthesize(espeak, text).audio


@pytest.fixture
def whisper(offline_models):
    serve(tier(), model("whisper-tiny-en", task="asr", backend="local", model_id="pkg:whisper-tiny.en", queue="gpu",
                        timeout_s=120))


def test_it_transcribes_a_recording_into_an_entry(patient_api, patient, whisper, worker):
    audio = SimpleUploadedFile("entry.wav", spoken("Today I went for a long walk and I feel much better."),
                               content_type="audio/wav")

    response = patient_api.post(URL, {"audio": audio, "mood": 7, "shared_with_care_team": True}, format="multipart")

    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "transcribing" and job["entry_id"] is None
    done = wait_until(lambda: (s := patient_api.get(f"{URL}/{job['job_id']}").json())["status"] == "done" and s,
                      timeout=120)
    entry = JournalEntry.objects.get(pk=done["entry_id"])
    assert entry.owner == patient and entry.source == "voice" and entry.mood == 7 and entry.shared_with_care_team
    assert "walk" in entry.text.lower() and "better" in entry.text.lower()
    assert hasattr(entry, "analysis")  # and so its analysis is queued like a typed entry's


def test_it_rejects_an_empty_or_oversized_recording(patient_api):
    empty = patient_api.post(URL, {"audio": SimpleUploadedFile("a.wav", b"", content_type="audio/wav")},
                             format="multipart")
    assert empty.status_code == 400 and "audio" in empty.json()["error"]["fields"]
    big = SimpleUploadedFile("a.wav", b"\0" * (10 * 1024 * 1024 + 1), content_type="audio/wav")
    too_big = patient_api.post(URL, {"audio": big}, format="multipart")
    assert too_big.status_code == 413 and "audio" in too_big.json()["error"]["fields"]
    assert not JournalEntry.objects.exists()


def test_another_users_job_is_404(patient_api, other_patient_api, whisper):
    audio = SimpleUploadedFile("entry.wav", spoken("Hello."), content_type="audio/wav")
    job = patient_api.post(URL, {"audio": audio}, format="multipart").json()
    assert other_patient_api.get(f"{URL}/{job['job_id']}").status_code == 404
    assert patient_api.get(f"{URL}/{job['job_id']}").status_code == 200


def test_a_redelivered_transcription_finds_the_entry_its_first_run_saved(patient, whisper):
    job = services.voice_entry_submit(owner=patient, audio=spoken("Hello."))
    saved = services.entry_create(owner=patient, text="Hello.", source="voice", voice_job_id=job["job_id"])

    services.voice_entry_transcribe(job_id=job["job_id"], written_at=saved.written_at.isoformat(), mood=None,
                                    shared_with_care_team=False)

    assert JournalEntry.objects.count() == 1
    assert selectors.voice_entry_status(user=patient, job_id=job["job_id"])["entry_id"] == saved.pk


def test_a_transcription_that_gives_up_says_so(patient, whisper):
    job = services.voice_entry_submit(owner=patient, audio=spoken("Hello."))
    services.voice_entry_failed(job_id=job["job_id"], code="model_unavailable")
    assert selectors.voice_entry_status(user=patient, job_id=job["job_id"])["status"] == "failed"
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("suffix", [":audio", "x", ":nope"])
def test_a_job_id_that_is_not_one_we_issue_is_404_even_where_a_cache_key_matches(patient_api, whisper, suffix):
    audio = SimpleUploadedFile("a.wav", spoken("Short note."), content_type="audio/wav")
    job = patient_api.post(URL, {"audio": audio}, format="multipart").json()
    response = patient_api.get(f"{URL}/{job['job_id']}{suffix}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_recordings_are_throttled_per_user(patient_api, other_patient_api, whisper, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["voice"].split("/")[0])

    def upload(api):
        audio = SimpleUploadedFile("a.wav", spoken("Short note."), content_type="audio/wav")
        return api.post(URL, {"audio": audio}, format="multipart").status_code

    assert [upload(patient_api) for _ in range(allowed + 1)] == [202] * allowed + [429]
    assert upload(other_patient_api) == 202


@pytest.mark.parametrize("make, status, code", [
    (lambda limit: encoded(limit + 30, rate=8000, silent=True), 413, "too_long"),
    (lambda limit: flac_claiming(encoded(1, rate=8000), seconds=10 * 3600, rate=8000), 413, "too_long"),
    (lambda limit: b"not a recording at all", 415, "unsupported_media_type"),
])
def test_a_recording_is_probed_before_it_is_kept_or_queued(patient_api, whisper, queued_tasks, settings, make, status,
                                                           code):
    audio = SimpleUploadedFile("a.flac", make(settings.SPEECH_MAX_DURATION_S), content_type="audio/flac")
    response = patient_api.post(URL, {"audio": audio}, format="multipart")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not [task for queue in QUEUES for task in queued_tasks(queue)]
