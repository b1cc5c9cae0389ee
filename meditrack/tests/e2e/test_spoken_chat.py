"""The assistant listens and reads aloud: a question spoken into the microphone is sent as a message, and a reply is
read sentence by sentence while it is still streaming."""

import io
import re
import wave
from datetime import timedelta
from urllib.parse import urljoin

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assistant import indexing
from assistant.extractive import FALLBACK_LEAD
from journal.models import EntryAnalysis, JournalEntry
from meditrack import procfile
from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.types import BackendName, ModelSpec, Task
from meditrack.testing.factories import model, serve, tier

SENTENCES_JS = procfile.ROOT / "static" / "js" / "sentences.js"


def spoken_wav(text: str, *, silence_s: float) -> bytes:
    """espeak-ng saying text, then silence: Chromium's fake microphone plays the file once from the start."""
    espeak = ModelSpec(slug="espeak", task=Task.TTS, backend=BackendName.BUILTIN, model_id="espeak-ng",
                       params={"voice": "en-us", "rate": 150})
    with wave.open(io.BytesIO(BuiltinBackend().synthesize(espeak, text).audio)) as speech:
        params, frames = speech.getparams(), speech.readframes(speech.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setparams(params)
        wav.writeframes(frames + b"\0" * int(silence_s * params.framerate) * params.sampwidth)
    return out.getvalue()


@pytest.fixture
def sentences_page(browser):
    """A blank page with sentences.js loaded: the splitter, alone."""
    page = browser.open("http://127.0.0.1")
    page.set_content("<!doctype html><title>sentences</title>")
    page.add_script_tag(path=SENTENCES_JS)
    return page


def test_sentences_end_where_a_voice_would_pause(sentences_page):
    text = ("Drink water. Dr. Lee said 2.5 mg is fine, e.g. with food. Take it at 8 a.m. every day! Why? "
            "Ask J. Smith… and rest. He said “stop.” Then\n1. Rest [1].\n2. Sleep")
    assert sentences_page.evaluate("text => Sentences.split(text)", text) == [
        "Drink water.", "Dr. Lee said 2.5 mg is fine, e.g. with food.", "Take it at 8 a.m. every day!", "Why?",
        "Ask J. Smith… and rest.", "He said “stop.”", "Then", "1. Rest [1].", "2. Sleep"]


def test_a_sentence_is_complete_only_once_the_next_one_begins(sentences_page):
    # Each push returns the sentences it completed: "2." could still become "2.5", "Dr." is not an ending.
    pushes = sentences_page.evaluate("""tokens => {
        const splitter = Sentences.splitter();
        return tokens.map(token => splitter.push(token)).concat([splitter.flush()]);
    }""", ["Drink", " water.", " Dr.", " Lee", " said", " 2.", "5 mg", " is fine.", " Bye", "."])
    assert pushes == [[], [], ["Drink water."], [], [], [], [], [], ["Dr. Lee said 2.5 mg is fine."], [], ["Bye."]]


def test_what_is_spoken_leaves_out_citations_and_markdown(sentences_page):
    spoken = sentences_page.evaluate("s => s.map(Sentences.speakable)", [
        "- **Sleep** improved [1, 2].", "## Your knee", "See [the leaflet](/documents/3/).", "[1]"])
    assert spoken == ["Sleep improved.", "Your knee", "See the leaflet.", ""]


@pytest.fixture
def speech_models(chat_model):
    """The standard tier speaks with espeak-ng and listens with Whisper tiny.en, the packaged defaults."""
    standard = tier("standard", max_new_tokens=512)
    serve(standard, model("espeak-ng", task="tts", backend="builtin", model_id="espeak-ng", queue="cpu",
                          parameters={"voice": "en-us", "rate": 165}, timeout_s=120))
    serve(standard, model("whisper-tiny-en", task="asr", backend="local", model_id="pkg:whisper-tiny.en",
                          queue="gpu", timeout_s=120))


def ungrounded(page) -> None:
    grounded = page.get_by_label("Answer from my records")
    with page.expect_response(lambda response: response.request.method == "PATCH" and response.ok):
        grounded.uncheck()


class Listener:
    """What a page asked to be synthesised, the clips it fetched to play them, and the replies it saw end, in
    the order they happened: ("synthesize", text), ("play", n: the nth clip synthesised), ("done", None)."""

    def __init__(self, page, base: str) -> None:
        self.base = base
        self.synthesize = f"{base}/api/v1/speech/synthesize"
        self._events = []
        self._synthesized = []
        page.on("request", lambda request: self._events.append(
            ("synthesize", request.post_data_json["text"]) if request.url == self.synthesize
            else ("get", request.url)))
        page.on("response", lambda response: self._synthesized.append(response)
                if response.url == self.synthesize else None)
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: self._events.append(("done", None))
                                              if '"message_done"' in str(frame) else None))

    def events(self) -> list[tuple]:
        clips = [urljoin(self.base, r.json()["url"]) for r in self._synthesized if r.status == 201]
        assert len(clips) == len(self._synthesized), "a synthesis failed"
        # A clip is fetched, perhaps in several ranges, when its turn to play comes.
        return [("play", clips.index(value)) if kind == "get" else (kind, value) for kind, value in self._events
                if kind != "get" or value in clips]

    @staticmethod
    def asked(events) -> list[str]:
        return [text for kind, text in events if kind == "synthesize"]

    @staticmethod
    def played(events) -> list[int]:
        return [n for kind, n in events if kind == "play"]


def test_a_reply_is_read_aloud_sentence_by_sentence_while_it_streams(patient, speech_models, model_server,
                                                                     procfile_stack, browser):
    sentences = ["Drink a glass of water now.", "Dr. Lee said 2.5 mg is enough, e.g. with food.",
                 "Rest well tonight.", "Call the clinic if it gets worse."]
    model_server.reply = re.split(r"(?= )", " ".join(sentences))  # a token a word
    model_server.token_delay = 0.15
    base = procfile_stack("web", "io", "cpu", env={"CPU_WORKER_CONCURRENCY": "1"})
    page = browser.open(base, user=patient)
    listener = Listener(page, base)
    page.goto("/assistant/")
    ungrounded(page)
    page.get_by_label("Read replies aloud").check()
    browser.step("reading replies aloud")

    composer = page.get_by_placeholder("Message the assistant")
    composer.fill("What should I do about my headache?")
    composer.press("Enter")
    reply = page.locator("article.msg-assistant")
    expect(reply).to_have_class(re.compile(r"status-streaming.* reading"))
    browser.step("the reply is read while it streams")
    expect(reply.get_by_role("button", name="Stop reading")).to_be_visible(timeout=30_000)
    expect(reply.get_by_role("button", name="Read aloud")).to_be_visible(timeout=60_000)
    browser.step("the reply was read to its end")

    events = listener.events()
    done = events.index(("done", None))
    # The first sentence alone, at once, and heard before the reply ends; later clips hold every sentence
    # completed while one played.
    assert events[0] == ("synthesize", sentences[0]) and ("play", 0) in events[:done]
    asked = listener.asked(events)
    assert " ".join(asked) == " ".join(sentences) and all(text.endswith(".") for text in asked)
    played = listener.played(events)
    assert played == sorted(played) and set(played) == set(range(len(asked)))

    # A finished reply is read again on request, its first sentence alone, and stops when asked.
    with page.expect_request(listener.synthesize) as again:
        reply.get_by_role("button", name="Read aloud").click()
    assert again.value.post_data_json["text"] == sentences[0]
    expect(reply).to_have_class(re.compile(r"\breading\b"))
    reply.get_by_role("button", name="Stop reading").click()
    expect(reply).not_to_have_class(re.compile(r"\breading\b"))
    expect(reply.get_by_role("button", name="Read aloud")).to_be_visible()
    browser.step("reading stopped")


KNEE = "Walked to the lake with my sister; my knee hurt on the way back."


@pytest.fixture
def knee_entry(patient, offline_models):
    """A journal entry the patient's grounded chat retrieves."""
    entry = JournalEntry.objects.create(owner=patient, text=KNEE, written_at=timezone.now() - timedelta(days=1))
    EntryAnalysis.objects.create(entry=entry, status="pending")
    indexing.entries_index(entry_ids=[entry.pk])
    return entry


def test_a_draft_replaced_by_its_checked_answer_is_read_again_as_shown(patient, knee_entry, speech_models,
                                                                       model_server, procfile_stack, browser):
    # A figure no source holds: the draft streams, then the answer shown is a labelled quote from the entry.
    model_server.reply = re.split(r"(?= )", "Your knee hurt for 12 days after the lake [1]. Rest it and keep it "
                                            "raised, and see your doctor if it swells.")
    model_server.token_delay = 0.15
    base = procfile_stack("web", "io", "cpu", env={"CPU_WORKER_CONCURRENCY": "1"})
    page = browser.open(base, user=patient)
    listener = Listener(page, base)
    page.goto("/assistant/")
    expect(page.get_by_label("Answer from my records")).to_be_checked()
    page.get_by_label("Read replies aloud").check()

    composer = page.get_by_placeholder("Message the assistant")
    composer.fill("When did my knee hurt?")
    composer.press("Enter")
    reply = page.locator("article.msg-assistant")
    expect(reply.locator(".msg-body")).to_contain_text(FALLBACK_LEAD)
    browser.step("the draft was replaced by a quote")
    expect(reply.get_by_role("button", name="Read aloud")).to_be_visible(timeout=60_000)

    events = listener.events()
    done = events.index(("done", None))
    assert events[0] == ("synthesize", "Your knee hurt for 12 days after the lake.")
    # Once the checked answer is shown, what is read is that, from its start.
    again = listener.asked(events[done:])
    assert again[0] == FALLBACK_LEAD and KNEE in " ".join(again) and "12 days" not in " ".join(again)
    first_of_final = len(listener.asked(events[:done]))
    played = listener.played(events)
    final_played = [n for n in played if n >= first_of_final]
    assert final_played == list(range(first_of_final, first_of_final + len(again)))
    assert played[-len(final_played):] == final_played  # nothing of the draft after it


def test_a_spoken_question_is_sent_and_answered(patient, speech_models, model_server, procfile_stack, browser,
                                               tmp_path):
    question = "I have had a headache since Monday."
    recording = tmp_path / "question.wav"
    recording.write_bytes(spoken_wav(question, silence_s=30))
    browser.launch_args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={recording}%noloop"]
    model_server.reply = "Rest and drink water."
    page = browser.open(procfile_stack("web", "io", "gpu"), user=patient)
    page.goto("/assistant/")
    ungrounded(page)

    speak = page.get_by_role("button", name="Speak")
    speak.click()
    expect(page.get_by_role("button", name="Done speaking")).to_be_visible()
    browser.step("listening")
    page.wait_for_timeout(3500)  # the question lasts about two and a half seconds
    page.get_by_role("button", name="Done speaking").click()

    said = page.locator("article.msg-user")
    expect(said).to_contain_text("headache", timeout=60_000)
    assert "monday" in said.inner_text().lower()
    expect(page.locator("article.msg-assistant .msg-body")).to_have_text("Rest and drink water.")
    expect(page.get_by_placeholder("Message the assistant")).to_have_value("")
    browser.step("the spoken question was answered")
