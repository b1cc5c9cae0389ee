"""BuiltinBackend: espeak-ng from its wheel, through ctypes."""

import io
import threading
import wave

import pytest

from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.errors import BadInput
from meditrack.inference.types import BackendName, ModelSpec, Task

SENTENCE = "Remember to take your medication after breakfast."


def spec(task=Task.TTS, **params) -> ModelSpec:
    return ModelSpec(slug="espeak", task=task, backend=BackendName.BUILTIN, model_id="espeak-ng", params=params)


def seconds(audio: bytes) -> float:
    with wave.open(io.BytesIO(audio)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_it_speaks_a_sentence_as_a_mono_16_bit_wav():
    speech = BuiltinBackend().synthesize(spec(voice="en-us", rate=170), SENTENCE)

    assert speech.media_type == "audio/wav"
    with wave.open(io.BytesIO(speech.audio)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, speech.sample_rate)
        frames = wav.readframes(wav.getnframes())
    assert speech.sample_rate == 22050
    assert 1.5 < seconds(speech.audio) < 8
    loudest = max(abs(int.from_bytes(frames[i : i + 2], "little", signed=True)) for i in range(0, len(frames), 2))
    assert loudest > 1000


def test_it_speaks_faster_at_a_higher_rate():
    backend = BuiltinBackend()
    slow = seconds(backend.synthesize(spec(rate=120), SENTENCE).audio)
    fast = seconds(backend.synthesize(spec(rate=300), SENTENCE).audio)
    # The rate is set on every call, not left over from the previous one.
    default = seconds(backend.synthesize(spec(), SENTENCE).audio)
    assert fast < 0.6 * slow
    assert fast < default < slow


def test_it_falls_back_to_english_for_a_voice_it_does_not_have():
    # espeak-ng varies its output a little from call to call, so durations are compared, with a margin.
    backend = BuiltinBackend()
    german = seconds(backend.synthesize(spec(voice="de"), SENTENCE).audio)
    unknown = seconds(backend.synthesize(spec(voice="xx-klingon"), SENTENCE).audio)
    english = seconds(backend.synthesize(spec(voice="en"), SENTENCE).audio)
    assert unknown == pytest.approx(english, rel=0.01)
    assert unknown != pytest.approx(german, rel=0.1)


def test_it_gives_every_thread_its_own_whole_utterance():
    # One synthesizer per process: without the backend's lock, concurrent calls crash it (SIGSEGV).
    backend = BuiltinBackend()
    expected = backend.synthesize(spec(), SENTENCE).audio
    results = []
    threads = [threading.Thread(target=lambda: results.append(backend.synthesize(spec(), SENTENCE).audio))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [seconds(audio) for audio in results] == pytest.approx([seconds(expected)] * 4, rel=0.01)


def test_it_rejects_empty_text_and_tasks_it_does_not_run():
    backend = BuiltinBackend()
    with pytest.raises(BadInput):
        backend.synthesize(spec(), "   ")
    with pytest.raises(BadInput, match="chat is not supported by the builtin backend") as caught:
        backend.chat(spec(Task.CHAT), [], max_new_tokens=4)
    assert caught.value.model == "espeak"
    with pytest.raises(BadInput, match="sentiment is not supported"):
        backend.classify(spec(Task.SENTIMENT), ["hi"])
    with pytest.raises(BadInput, match="embedding is not supported"):
        backend.embed(spec(Task.EMBEDDING), ["hi"])
    with pytest.raises(BadInput, match="asr is not supported"):
        backend.transcribe(spec(Task.ASR), b"RIFF")
    assert backend.token_counter(spec()) is None
