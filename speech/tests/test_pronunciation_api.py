"""POST /api/v1/speech/pronunciation: speech made by the packaged espeak-ng, heard by the packaged Whisper on a
worker, scored word by word against the sentence the speaker meant to say."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from speech.models import AudioClip
from speech.tests.recordings import encoded, spoken

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/speech/pronunciation"
TARGET = "Take two tablets twice a day with food."


def assess(api, said: str, target: str = TARGET):
    recording = SimpleUploadedFile("attempt.wav", spoken(said), content_type="audio/wav")
    return api.post(URL, {"audio": recording, "text": target}, format="multipart")


def not_correct(body: dict) -> list[tuple[str, str, str | None]]:
    return [(w["word"], w["status"], w["heard"]) for w in body["words"] if w["status"] != "correct"]


def test_the_sentence_said_as_written_scores_high_with_every_word_correct(patient_api, speech_models, worker):
    response = assess(patient_api, TARGET)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["score"] >= 85 and not_correct(body) == []
    assert [w["word"] for w in body["words"]] == ["take", "two", "tablets", "twice", "a", "day", "with", "food"]
    assert all(0 < w["confidence"] <= 1 for w in body["words"])
    assert "tablets" in body["transcript"]
    assert not AudioClip.objects.exists()


def test_a_substituted_word_is_flagged_with_what_was_said_instead(patient_api, speech_models, worker):
    body = assess(patient_api, "Take two tablets twice a week with food.").json()
    assert not_correct(body) == [("day", "missing", "week")]
    assert 60 < body["score"] < 90


def test_a_dropped_word_is_missing(patient_api, speech_models, worker):
    body = assess(patient_api, "Take two tablets a day with food.").json()
    assert not_correct(body) == [("twice", "missing", None)]


def test_a_near_miss_is_mispronounced_and_scores_above_a_wrong_word(patient_api, speech_models, worker):
    near = assess(patient_api, "Take two tablet twice a day with food.").json()
    wrong = assess(patient_api, "Take two tablets twice a week with food.").json()
    [(word, status, heard)] = not_correct(near)
    assert (word, status) == ("tablets", "mispronounced") and heard.startswith("ta")
    assert near["score"] > wrong["score"]


def test_another_sentence_entirely_scores_low(patient_api, speech_models, worker):
    body = assess(patient_api, "I have been coughing for three days.").json()
    assert body["score"] < 20


def test_silence_is_400_before_any_model_work(patient_api, speech_models, worker):
    recording = SimpleUploadedFile("quiet.flac", encoded(2, silent=True), content_type="audio/flac")
    response = patient_api.post(URL, {"audio": recording, "text": TARGET}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "silence"


@pytest.fixture
def nothing_reaches_a_worker(queued_tasks, speech_models):
    yield
    assert queued_tasks("gpu") == [] and not AudioClip.objects.exists()


@pytest.mark.parametrize("payload, field, status", [
    ({"text": TARGET}, "audio", 400),
    ({"audio": b"", "text": TARGET}, "audio", 400),
    ({"audio": b"not audio\n" * 50, "text": TARGET}, "audio", 415),
    ({"audio": "speech"}, "text", 400),
    ({"audio": "speech", "text": "  "}, "text", 400),
    ({"audio": "speech", "text": "Take your tablets. " * 263}, "text", 400),
], ids=["no audio", "zero-length", "text named .wav", "no text", "blank text", "5000 characters"])
def test_bad_input_is_refused_before_any_model_work(patient_api, nothing_reaches_a_worker, payload, field, status):
    data = dict(payload)
    if "audio" in data:
        audio = spoken("Hello.") if data["audio"] == "speech" else data["audio"]
        data["audio"] = SimpleUploadedFile("attempt.wav", audio, content_type="audio/wav")
    response = patient_api.post(URL, data, format="multipart")
    assert response.status_code == status and field in response.json()["error"]["fields"]
