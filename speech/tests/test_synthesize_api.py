"""POST /api/v1/speech/synthesize: text spoken by the tier's speech model on a worker, kept as the caller's clip."""

import pytest

from speech import audio
from speech.models import AudioClip

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/speech/synthesize"


def test_it_speaks_the_text_into_a_clip_only_its_owner_can_hear(patient_api, other_patient_api, api, patient,
                                                                  speech_models, worker):
    response = patient_api.post(URL, {"text": "Please take this medicine with water."}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"clip_id", "url", "duration_s", "format"} and body["format"] == "wav"
    assert body["url"] == f"/api/v1/speech/clips/{body['clip_id']}/audio" and 1.5 < body["duration_s"] < 5
    clip = AudioClip.objects.get(pk=body["clip_id"])
    assert clip.owner == patient and clip.source == "synthesis"

    heard = patient_api.get(body["url"])
    assert heard.status_code == 200 and heard["Content-Type"] == "audio/wav"
    data = b"".join(heard.streaming_content)
    assert audio.probe(data).duration_s == pytest.approx(body["duration_s"])
    assert other_patient_api.get(body["url"]).status_code == 404
    assert api.get(body["url"]).status_code == 401
    assert patient_api.get("/api/v1/speech/clips/999999/audio").status_code == 404


def test_speed_and_voice_reach_the_model(patient_api, speech_models, worker):
    text = "I would like to book an appointment for next week."
    slow = patient_api.post(URL, {"text": text, "speed": 0.6}, format="json").json()
    fast = patient_api.post(URL, {"text": text, "speed": 1.8, "voice": "en-gb"}, format="json").json()
    assert fast["duration_s"] < slow["duration_s"] / 2


@pytest.fixture
def nothing_reaches_a_worker(queued_tasks, speech_models):
    yield
    assert queued_tasks("cpu") == [] and not AudioClip.objects.exists()


def test_a_5000_character_request_is_400_before_any_model_work(patient_api, nothing_reaches_a_worker, settings):
    response = patient_api.post(URL, {"text": "Take your tablets. " * 263}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "text_too_long" and str(settings.SPEECH_MAX_SYNTHESIS_CHARS) in error["detail"]
    assert "text" in error["fields"]


@pytest.mark.parametrize("payload, field", [
    ({}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "Hello.", "speed": 5}, "speed"),
    ({"text": "Hello.", "speed": 0}, "speed"),
    ({"text": "Hello.", "voice": "../../etc/passwd"}, "voice"),
])
def test_bad_requests_are_400_with_the_field(patient_api, nothing_reaches_a_worker, payload, field):
    response = patient_api.post(URL, payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_speech_work_is_throttled_per_user(patient_api, other_patient_api, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "speech", "2/hour")
    blank = {"text": ""}  # refused as blank, but counted: the throttle comes before any work

    assert [patient_api.post(URL, blank, format="json").status_code for _ in range(3)] == [400, 400, 429]
    assert patient_api.post("/api/v1/speech/transcribe", {}, format="multipart").status_code == 429
    assert other_patient_api.post(URL, blank, format="json").status_code == 400
