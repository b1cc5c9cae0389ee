"""A patient practises "Describing symptoms" out loud: Chromium's fake microphone says the first phrase with one
word wrong; the page shows that word and what was heard, plays the coach's answer and lists the lesson's words."""

import importlib
import io
import re
import wave
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from playwright.sync_api import expect

from meditrack.inference.models import TierModel
from meditrack.testing.factories import model, serve, tier
from speech import services as speech
from speech.models import Lesson

WORKER_TIMEOUT = 90_000  # ms: the gpu worker loads Whisper on its first turn


@pytest.fixture
def offline_voices(transactional_db):
    """Whisper tiny.en and espeak-ng, the packaged speech models; no chat model, so the rule-based coach answers."""
    standard = tier()
    TierModel.objects.filter(tier=standard, model__task="chat").delete()
    serve(standard, model("whisper-tiny-en", task="asr", backend="local", model_id="pkg:whisper-tiny.en",
                          queue="gpu", timeout_s=120))
    serve(standard, model("espeak-ng", task="tts", backend="builtin", model_id="espeak-ng", queue="cpu",
                          parameters={"voice": "en-us", "rate": 165}, timeout_s=120))
    return standard


@pytest.fixture
def lessons(transactional_db):
    """The seeded lessons: a transactional test starts with the tables the migrations filled emptied."""
    if not Lesson.objects.exists():
        importlib.import_module("speech.migrations.0003_seed_lessons").seed(apps, None)


def microphone_file(user, text: str, *, path) -> str:
    """What the fake microphone hears: the text said by espeak-ng (through the synthesis service), then quiet."""
    clip = speech.speech_synthesize(user=user, text=text, speed=0.9)
    with clip.file.open("rb") as stored, wave.open(io.BytesIO(stored.read())) as said:
        params, frames = said.getparams(), said.readframes(said.getnframes())
    clip.delete()
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(frames + bytes(params.sampwidth * params.framerate * 20))
    return f"{path}%noloop"


def test_a_patient_says_a_phrase_sees_the_wrong_word_hears_the_coach_and_finds_the_new_words(
        patient, lessons, offline_voices, procfile_stack, browser, tmp_path, monkeypatch):
    recording = microphone_file(patient, "I have been feeling tired since yesterday.", path=tmp_path / "mic.wav")
    browser.launch_args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={recording}"]
    monkeypatch.setenv("CPU_WORKER_CONCURRENCY", "1")
    page = browser.open(procfile_stack("web", "gpu", "cpu"), user=patient)

    page.goto("/")
    page.get_by_role("link", name="Practice").click()
    page.get_by_role("button", name="Start Describing symptoms").click()
    expect(page.locator("#target")).to_have_text("I have been feeling sick since yesterday.")
    expect(page.locator("#intro-words")).to_contain_text("feeling sick")
    browser.step("lesson started")

    page.get_by_role("button", name="Speak").click()
    expect(page.get_by_role("button", name="Done speaking")).to_be_visible()
    page.wait_for_timeout(4000)  # the phrase lasts about three seconds
    with page.expect_response(lambda r: "/api/v1/speech/clips/" in r.url, timeout=WORKER_TIMEOUT) as coach_voice:
        page.get_by_role("button", name="Done speaking").click()
    browser.step("answered")

    wrong = page.locator("#words .word-missing, #words .word-mispronounced")
    expect(wrong).to_have_count(1)
    expect(wrong).to_contain_text("sick")
    expect(wrong).to_contain_text("heard “tired”")
    expect(page.locator("#words .word-correct")).to_have_count(6)
    expect(page.locator("#coach-reply")).to_contain_text("'sick'")
    expect(page.locator("#coach-source")).to_have_text("Built-in coach")
    assert coach_voice.value.ok and coach_voice.value.headers["content-type"] == "audio/wav"
    expect(page.locator("#coach-audio")).to_have_attribute("src", urlsplit(coach_voice.value.url).path)
    expect(page.locator("#target")).to_have_text("I have been feeling sick since yesterday.")  # try again
    expect(page.locator("#own-audio")).to_have_attribute("src", re.compile(r"^/api/v1/speech/clips/\d+/audio$"))

    vocabulary = page.locator("#vocabulary")
    # Said wrong, the word comes back tomorrow: it is among the patient's words, not yet due.
    expect(vocabulary.locator("#word-list")).to_contain_text("feeling sick")
    expect(vocabulary.locator("#word-list")).to_contain_text("feeling that you might vomit")
    expect(vocabulary.locator("#word-list .tag")).to_have_text("seen")
    browser.step("the new words are in the vocabulary")
