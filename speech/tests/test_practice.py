"""Practice sessions end to end: a lesson's phrases said (the packaged Whisper tiny.en hears espeak-ng's speech)
or typed, the coach's answer from the chat model (the loopback server) or, when it writes no valid JSON twice, the
rule-based coach, the answer spoken, and the vocabulary it changes; and every bad turn refused."""

import importlib
import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from meditrack.inference.models import TierModel
from speech import services as speech
from speech.models import AudioClip, Lesson, PracticeSession, PracticeTurn, VocabularyItem
from speech.practice import COACH_VOICE_SPEED

pytestmark = pytest.mark.django_db(transaction=True)
SESSIONS = "/api/v1/practice/sessions"
FIRST = "I have been feeling sick since yesterday."  # Describing symptoms' first phrase
WRONG = "I have been feeling tired since yesterday."
SECOND = "I have had a headache since this morning."
MODEL_ANSWER = {"reply": "Very good! 'Feeling sick' was clear. Now try the next one.",
                "corrections": [], "new_vocabulary": [{"term": "nausea", "meaning": "feeling that you might vomit"}],
                "next_prompt": f"Say: '{SECOND}'"}


@pytest.fixture
def lessons(transactional_db):
    """The seeded lessons: a transactional test starts with the tables the migrations filled emptied."""
    if not Lesson.objects.exists():
        importlib.import_module("speech.migrations.0003_seed_lessons").seed(apps, None)
    return {lesson.title: lesson for lesson in Lesson.objects.all()}


@pytest.fixture
def voices(speech_models):
    """Whisper tiny.en and espeak-ng serve the standard tier, and no chat model does (as a chat model that writes
    no valid JSON leaves it): the rule-based coach answers."""
    TierModel.objects.filter(tier=speech_models, model__task="chat").delete()
    return speech_models


def said(user, text: str) -> SimpleUploadedFile:
    """The text spoken by espeak-ng, through the synthesis service, as a recording to upload."""
    clip = speech.speech_synthesize(user=user, text=text, speed=COACH_VOICE_SPEED)
    with clip.file.open("rb") as stored:
        data = stored.read()
    clip.delete()
    return SimpleUploadedFile("turn.wav", data, content_type="audio/wav")


def start(api, lesson: Lesson | None = None) -> dict:
    response = api.post(SESSIONS, {"lesson_id": lesson.pk} if lesson else {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def changes(turn: dict) -> dict[str, str]:
    return {item["term"]: item["change"] for item in turn["vocabulary"]}


# ---- sessions


def test_a_session_starts_at_the_lessons_first_phrase_and_brings_its_words(patient_api, patient, lessons):
    session = start(patient_api, lessons["Describing symptoms"])
    assert session["prompt"] == f"Say: '{FIRST}'" and session["target"] == FIRST
    assert session["lesson"]["title"] == "Describing symptoms"
    assert (session["phrase_number"], session["phrase_count"], session["attempt"]) == (1, 8, 1)
    assert [(w["term"], w["stage"], w["due"]) for w in session["new_vocabulary"]] == [("feeling sick", "seen", True)]
    assert list(VocabularyItem.objects.filter(owner=patient).values_list("term", flat=True)) == ["feeling sick"]
    # The same lesson again brings nothing new.
    assert start(patient_api, lessons["Describing symptoms"])["new_vocabulary"] == []


def test_without_a_lesson_it_is_free_talk(patient_api, lessons):
    session = start(patient_api)
    assert session["lesson"] is None and session["target"] is None
    assert session["prompt"] == "What brings you to the clinic today?"


def test_an_unknown_or_unpublished_lesson_is_400(patient_api, lessons):
    draft = Lesson.objects.create(title="Draft", published=False)
    for lesson_id in (999999, draft.pk, "one"):
        response = patient_api.post(SESSIONS, {"lesson_id": lesson_id}, format="json")
        assert response.status_code == 400 and "lesson_id" in response.json()["error"]["fields"]
    assert not PracticeSession.objects.exists()


# ---- turns


def test_a_typed_turn_is_coached_by_the_model(patient_api, patient, lessons, voices, chat_model, model_server,
                                              worker):
    model_server.reply = json.dumps(MODEL_ANSWER)
    session = start(patient_api, lessons["Describing symptoms"])

    response = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"text": FIRST}, format="json")

    assert response.status_code == 201, response.content
    turn = response.json()
    assert turn["status"] == "done" and turn["input"] == "text" and turn["transcript"] == FIRST
    assert turn["coach_source"] == "model" and turn["coach"] == MODEL_ANSWER
    assert {w["status"] for w in turn["pronunciation"]["words"]} == {"correct"}
    assert turn["next_target"] == SECOND
    # Said right: 'feeling sick' is practised; the next phrase's words and the model's are new.
    assert changes(turn) == {"feeling sick": "practised", "headache": "new", "nausea": "new"}
    audio = patient_api.get(turn["coach_audio_url"])
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    asked = model_server.last_request.json["messages"][-1]["content"]
    assert FIRST in asked and SECOND in asked and "headache" in asked
    detail = patient_api.get(f"{SESSIONS}/{session['id']}").json()
    assert detail["prompt"] == MODEL_ANSWER["next_prompt"] and detail["phrase_number"] == 2
    assert [t["id"] for t in detail["turns"]] == [turn["id"]]


def test_a_model_that_writes_junk_twice_leaves_the_rule_based_coach(patient_api, patient, lessons, voices,
                                                                    chat_model, model_server, worker):
    model_server.reply = "Sure! Here is some feedback: well done."
    session = start(patient_api, lessons["Describing symptoms"])

    turn = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"text": WRONG},
                            format="json").json()

    assert model_server.count("/v1/chat/completions") == 2  # asked, then asked again with what was wrong
    assert turn["coach_source"] == "fallback" and turn["coach_audio_url"]
    coach = turn["coach"]
    assert "'tired'" in coach["reply"] and "'sick'" in coach["reply"]
    assert coach["reply"].endswith(f"Listen, then say it again: '{FIRST}'")
    assert coach["next_prompt"] == f"Try again: '{FIRST}'"
    assert [(c["expected"], c["heard"]) for c in coach["corrections"]] == [("sick", "tired")]
    assert turn["next_target"] == FIRST
    assert changes(turn) == {"feeling sick": "missed"}
    assert patient_api.get(f"{SESSIONS}/{session['id']}").json()["attempt"] == 2


def test_a_coach_model_too_slow_to_wait_for_is_stopped_and_the_rule_based_coach_answers(
        patient_api, lessons, voices, chat_model, model_server, worker, settings):
    settings.PRACTICE_COACH_WAIT_S = 1
    model_server.reply = [json.dumps(MODEL_ANSWER)[:10]] + [" "] * 600
    model_server.token_delay = 0.05  # half a minute of answer
    session = start(patient_api, lessons["Describing symptoms"])

    response = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"text": FIRST}, format="json")

    assert response.status_code == 201, response.content
    turn = response.json()
    assert turn["coach_source"] == "fallback" and turn["next_target"] == SECOND
    assert model_server.count("/v1/chat/completions") == 1
    assert model_server.wait_for_disconnect()


def test_a_spoken_turn_is_heard_scored_and_answered_with_the_coachs_voice(patient_api, patient, lessons, voices,
                                                                          worker):
    session = start(patient_api, lessons["Describing symptoms"])

    response = patient_api.post(f"{SESSIONS}/{session['id']}/turns",
                                {"audio": said(patient, FIRST)}, format="multipart")

    assert response.status_code == 201, response.content
    turn = response.json()
    assert turn["input"] == "audio" and turn["transcript"] == FIRST
    assert {w["status"] for w in turn["pronunciation"]["words"]} == {"correct"}
    assert turn["pronunciation"]["score"] >= 80
    # Offline there is no chat model: the rule-based coach answers, and moves on to the next phrase.
    assert turn["coach_source"] == "fallback"
    assert turn["coach"]["reply"].startswith("Excellent! Every word was clear.")
    assert "New word: 'headache' means a pain in your head." in turn["coach"]["reply"]
    assert turn["next_target"] == SECOND
    assert patient_api.get(turn["recording_url"]).status_code == 200
    assert patient_api.get(turn["coach_audio_url"])["Content-Type"] == "audio/wav"
    assert changes(turn) == {"feeling sick": "practised", "headache": "new"}


def test_free_talk_echoes_what_was_heard_and_asks_on(patient_api, patient, lessons, voices, worker):
    session = start(patient_api)
    turn = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"text": "My back hurts."}, format="json").json()
    assert turn["pronunciation"] is None and turn["coach_source"] == "fallback"
    assert turn["coach"]["reply"] == "Thank you, that is clear. How long have you felt like this?"


# ---- bad turns


def test_someone_elses_session_is_404(patient_api, other_patient_api, lessons):
    session = start(patient_api, lessons["Describing symptoms"])
    url = f"{SESSIONS}/{session['id']}"
    assert other_patient_api.post(f"{url}/turns", {"text": FIRST}, format="json").status_code == 404
    assert other_patient_api.get(url).status_code == 404
    assert not PracticeTurn.objects.exists()


def test_a_turn_with_nothing_said_or_both_or_too_much_is_400_before_any_model_work(patient_api, patient, lessons):
    session = start(patient_api, lessons["Describing symptoms"])
    url = f"{SESSIONS}/{session['id']}/turns"
    empty = patient_api.post(url, {"text": "   "}, format="json")
    assert empty.status_code == 400 and {"audio", "text"} <= set(empty.json()["error"]["fields"])
    assert patient_api.post(url, {}, format="json").status_code == 400
    no_bytes = patient_api.post(url, {"audio": SimpleUploadedFile("a.webm", b"", content_type="audio/webm")},
                                format="multipart")
    assert no_bytes.status_code == 400
    both = patient_api.post(url, {"text": FIRST, "audio": SimpleUploadedFile(
        "a.wav", b"RIFF", content_type="audio/wav")}, format="multipart")
    assert both.status_code == 400 and "text" in both.json()["error"]["fields"]
    too_long = patient_api.post(url, {"text": "word " * 200}, format="json")
    assert too_long.status_code == 400 and "text" in too_long.json()["error"]["fields"]
    not_audio = patient_api.post(url, {"audio": SimpleUploadedFile("turn.wav", b"just some text, not audio\n" * 50,
                                                                   content_type="audio/wav")}, format="multipart")
    assert not_audio.status_code == 415
    assert not PracticeTurn.objects.exists() and not AudioClip.objects.exists()


def test_a_silent_recording_is_400_and_the_session_stays_on_its_phrase(patient_api, patient, lessons, voices,
                                                                      worker):
    from speech.tests.recordings import encoded

    session = start(patient_api, lessons["Describing symptoms"])
    silence = SimpleUploadedFile("turn.flac", encoded(2, silent=True), content_type="audio/flac")
    response = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"audio": silence}, format="multipart")
    assert response.status_code == 400, response.content
    turn = PracticeTurn.objects.get()
    assert turn.status == "failed" and turn.recording is None and not AudioClip.objects.exists()
    assert patient_api.get(f"{SESSIONS}/{session['id']}").json()["phrase_number"] == 1


def test_a_turn_while_the_last_is_answered_is_409(patient_api, patient, lessons):
    session = start(patient_api, lessons["Describing symptoms"])
    PracticeTurn.objects.create(session_id=session["id"], number=1, target=FIRST, text="I have")
    response = patient_api.post(f"{SESSIONS}/{session['id']}/turns", {"text": FIRST}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "busy"


# ---- done when


def test_a_patient_practises_describing_symptoms_out_loud(patient_api, patient, lessons, voices, worker):
    """Opens the lessons, chooses "Describing symptoms", says a phrase with a word wrong, sees which one, hears the
    coach, says it right, and finds the lesson's words in their vocabulary."""
    chosen = next(lesson for lesson in patient_api.get("/api/v1/lessons").json()["results"]
                  if lesson["title"] == "Describing symptoms")
    session = start(patient_api, Lesson.objects.get(pk=chosen["id"]))
    turns = f"{SESSIONS}/{session['id']}/turns"

    wrong = patient_api.post(turns, {"audio": said(patient, WRONG)}, format="multipart").json()

    sick = next(w for w in wrong["pronunciation"]["words"] if w["expected"] == "sick")
    assert sick["status"] != "correct" and sick["heard"] == "tired"
    assert {w["status"] for w in wrong["pronunciation"]["words"] if w["expected"] != "sick"} == {"correct"}
    assert "'sick'" in wrong["coach"]["reply"] and wrong["next_target"] == FIRST
    assert patient_api.get(wrong["coach_audio_url"]).status_code == 200

    right = patient_api.post(turns, {"audio": said(patient, FIRST)}, format="multipart").json()

    assert right["next_target"] == SECOND
    vocabulary = {item["term"]: item for item in patient_api.get("/api/v1/vocabulary").json()["results"]}
    assert {"feeling sick", "headache"} <= set(vocabulary)
    assert vocabulary["feeling sick"]["stage"] == "practised" and vocabulary["headache"]["stage"] == "seen"
