"""Engines that ship inside a wheel: nothing to resolve, download or convert.

Text-to-speech is espeak-ng from the `espeakng-loader` wheel: its bundled libespeak-ng and
espeak-ng-data, driven through ctypes (no apt package, no subprocess). `spec.params` may set
`voice` (an espeak-ng voice name such as "en-us"; an unknown one falls back to "en"), `rate`
(words per minute, 80-450) and `speed` (a factor on the rate).

Sentiment and emotion are the offline analyser (`meditrack-analyser`): MiniLM + VADER with weights
trained on human ratings, shipped in the repository. Imports nothing from Django.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import threading
import wave
from collections import OrderedDict

from meditrack.inference.errors import BadInput, ModelUnavailable
from meditrack.inference.types import ChatMessage, Label, ModelSpec, Speech, Task, Transcript

ANALYSER = "meditrack-analyser"
FALLBACK_VOICE = "en"
DEFAULT_VOICE = "en-us"

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit()
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE = 1
_RATE_NORMAL = 175
_RATE_MIN, _RATE_MAX = 80, 450
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """The library keeps one global synthesizer per process and crashes when two threads use it at
    once, so every use goes through one lock."""

    def __init__(self):
        try:
            import espeakng_loader

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except (ImportError, OSError) as exc:
            raise ModelUnavailable(f"espeak-ng cannot be loaded: {exc}", model="espeak-ng") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise ModelUnavailable(f"espeak-ng failed to initialise (code {self.sample_rate})", model="espeak-ng")
        self._lib = lib
        self._chunks: list[bytes] = []
        # Kept on the instance: the library calls it for as long as the process lives.
        self._callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count, _events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        return 0

    def pcm(self, text: str, *, voice: str, rate: int) -> bytes:
        """16-bit mono PCM at self.sample_rate; the caller holds _lock."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            self._lib.espeak_SetVoiceByName(FALLBACK_VOICE.encode())
        # Set on every call: the library would otherwise keep the previous caller's rate.
        self._lib.espeak_SetParameter(_RATE, rate, 0)
        encoded = text.encode() + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        self._chunks = []
        status = self._lib.espeak_Synth(buffer, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()
        if status != _EE_OK:
            raise ModelUnavailable(f"espeak-ng synthesis failed (code {status})", model="espeak-ng")
        return b"".join(self._chunks)


_lock = threading.Lock()
_engine: _Espeak | None = None


def _espeak() -> _Espeak:
    global _engine
    if _engine is None:
        _engine = _Espeak()
    return _engine


class BuiltinBackend:
    def synthesize(self, spec: ModelSpec, text: str) -> Speech:
        if not text.strip():
            raise BadInput("there is no text to speak", model=spec.slug)
        voice = spec.params.get("voice") or DEFAULT_VOICE
        speed = float(spec.params.get("speed") or 1.0)
        rate = min(_RATE_MAX, max(_RATE_MIN, round(int(spec.params.get("rate") or _RATE_NORMAL) * speed)))
        with _lock:
            engine = _espeak()
            pcm = engine.pcm(text, voice=voice, rate=rate)
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(engine.sample_rate)
            wav.writeframes(pcm)
        return Speech(audio=out.getvalue(), media_type="audio/wav", sample_rate=engine.sample_rate)

    def chat(self, spec: ModelSpec, messages: list[ChatMessage], *, max_new_tokens: int):
        raise _unsupported(spec, Task.CHAT)

    def token_counter(self, spec: ModelSpec):
        return None

    def classify(self, spec: ModelSpec, texts: list[str]) -> list[list[Label]]:
        """The offline analyser (meditrack/inference/analyser.py): every label, best first. It splits long
        texts itself, so nothing past its window is lost."""
        if spec.model_id != ANALYSER or spec.task not in (Task.SENTIMENT, Task.EMOTION):
            raise _unsupported(spec, spec.task)
        key = "sentiment" if spec.task == Task.SENTIMENT else "emotions"
        return [sorted((Label(label, score) for label, score in result[key].items()),
                       key=lambda item: item.score, reverse=True)
                for result in _analysed_batches.get(texts)]

    def embed(self, spec: ModelSpec, texts: list[str]) -> list[list[float]]:
        raise _unsupported(spec, Task.EMBEDDING)

    def transcribe(self, spec: ModelSpec, audio: bytes) -> Transcript:
        raise _unsupported(spec, Task.ASR)


class _AnalysedBatches:
    """The analyser's results for the last few batches of texts, keyed by a digest of the batch (the
    texts themselves are not kept). Sentiment and emotion of one batch are two calls: whichever comes
    first runs the one embedding pass, the other reads its results, and both get the same answers in
    either order."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._results: OrderedDict[str, list[dict]] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def get(self, texts: list[str]) -> list[dict]:
        key = hashlib.sha256(json.dumps(texts).encode()).hexdigest()
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        from meditrack.inference import analyser

        results = analyser.analyze_all(texts)
        with self._lock:
            self._results[key] = results
            while len(self._results) > self._size:
                self._results.popitem(last=False)
        return results


# A few batches: a thread pool's workers may interleave their batches' two calls.
_analysed_batches = _AnalysedBatches(size=8)


def _unsupported(spec: ModelSpec, task: str) -> BadInput:
    return BadInput(f"{task} is not supported by the builtin backend", model=spec.slug)
