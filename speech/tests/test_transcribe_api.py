"""POST /api/v1/speech/transcribe: a recording's words with their timings, from the packaged Whisper on a worker;
every bad recording refused with a clear 4xx before any model work."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meditrack.inference.models import TierModel
from speech import services
from speech.models import AudioClip
from speech.tests.recordings import encoded, flac_claiming, spoken, transcoded

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/speech/transcribe"


def upload(data: bytes, name: str = "recording.wav", content_type: str = "audio/wav") -> dict:
    return {"audio": SimpleUploadedFile(name, data, content_type=content_type)}


def test_it_transcribes_a_recording_with_word_timings(patient_api, speech_models, worker, media_root):
    response = patient_api.post(URL, upload(spoken("I have had a headache since Monday morning.")),
                                format="multipart")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "I have had a headache since Monday morning."
    assert body["language"] == "en" and 1.5 < body["duration_s"] < 5
    words = body["words"]
    assert [w["word"] for w in words] == ["I", "have", "had", "a", "headache", "since", "Monday", "morning."]
    assert all(0 <= w["start"] <= w["end"] <= body["duration_s"] + 0.5 and 0 <= w["probability"] <= 1 for w in words)
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    # The recording was kept only while the worker read it.
    assert not AudioClip.objects.exists() and not any(media_root.rglob("*.*"))


def test_it_takes_a_browsers_webm_opus_recording(patient_api, speech_models, worker):
    recording = transcoded(spoken("Where is the nearest pharmacy?"))

    response = patient_api.post(URL, upload(recording, "rec.webm", "audio/webm"), format="multipart")

    assert response.status_code == 200, response.content
    assert "pharmacy" in response.json()["text"].lower()


def test_silence_is_a_clear_400_not_an_invented_sentence(patient_api, speech_models, worker):
    response = patient_api.post(URL, upload(encoded(3, silent=True), "quiet.flac", "audio/flac"), format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "silence" and "audio" in response.json()["error"]["fields"]


@pytest.fixture
def nothing_reaches_a_worker(queued_tasks, speech_models):
    """No worker runs; afterwards, no task was queued and no clip kept."""
    yield
    assert queued_tasks("gpu") == [] and queued_tasks("cpu") == []
    assert not AudioClip.objects.exists()


def refused(api, data, *, status: int, code: str, **upload_args):
    response = api.post(URL, upload(data, **upload_args) if data is not None else {}, format="multipart")
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and "audio" in error.get("fields", {})
    return error


def test_no_audio_is_400(patient_api, nothing_reaches_a_worker):
    refused(patient_api, None, status=400, code="invalid")


def test_a_zero_length_recording_is_400(patient_api, nothing_reaches_a_worker):
    refused(patient_api, b"", status=400, code="empty")


def test_a_recording_over_the_size_limit_is_413(patient_api, nothing_reaches_a_worker, settings):
    settings.SPEECH_MAX_UPLOAD_BYTES = 50_000
    error = refused(patient_api, spoken("This sentence is long enough to be more than fifty kilobytes of audio."),
                    status=413, code="too_large")
    assert "MB" in error["detail"]


def test_a_ten_hour_recording_is_413_and_says_the_limit(patient_api, nothing_reaches_a_worker, settings):
    claiming = flac_claiming(encoded(1, rate=8000), seconds=10 * 3600, rate=8000)
    error = refused(patient_api, claiming, status=413, code="too_long", name="long.flac", content_type="audio/flac")
    assert f"{settings.SPEECH_MAX_DURATION_S} seconds" in error["detail"]


def test_a_text_file_named_wav_is_415(patient_api, nothing_reaches_a_worker):
    refused(patient_api, b"This is not audio at all.\n" * 30, status=415, code="unsupported_media_type")


def test_a_corrupt_container_is_400(patient_api, nothing_reaches_a_worker):
    refused(patient_api, encoded(2)[:500], status=400, code="corrupt_audio", name="cut.flac")


def test_an_unsupported_codec_is_415(patient_api, nothing_reaches_a_worker):
    refused(patient_api, encoded(1, container="wav", codec="adpcm_ms"), status=415, code="unsupported_codec")


def test_a_bad_language_is_400(patient_api, nothing_reaches_a_worker):
    response = patient_api.post(URL, {**upload(spoken("Hello.")), "language": "../en"}, format="multipart")
    assert response.status_code == 400 and "language" in response.json()["error"]["fields"]


def test_it_is_for_signed_in_users_only(api):
    assert api.post(URL, upload(spoken("Hello.")), format="multipart").status_code == 401


def test_the_broker_carries_the_clips_id_not_the_audio(patient_api, queued_tasks, speech_models, monkeypatch,
                                                         media_root):
    monkeypatch.setattr(services, "WORKER_WAIT_S", 0.5)

    response = patient_api.post(URL, upload(spoken("Hello, doctor.")), format="multipart")

    # No worker answered: a clear 503, and the recording is not left behind.
    assert response.status_code == 503 and response.json()["error"]["code"] == "worker_timeout"
    [task] = queued_tasks("gpu")
    assert task.name == "speech.transcribe_clip" and set(task.kwargs) == {"clip_id", "language"}
    assert not AudioClip.objects.exists() and not any(media_root.rglob("*.*"))


def test_without_a_speech_model_it_is_503(patient_api, speech_models):
    TierModel.objects.filter(model__task="asr").delete()
    response = patient_api.post(URL, upload(spoken("Hello.")), format="multipart")
    assert response.status_code == 503 and response.json()["error"]["code"] == "model_unavailable"
    assert not AudioClip.objects.exists()
