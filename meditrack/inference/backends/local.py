"""Models that run inside this worker process: transformers + torch, on CUDA when available, else CPU.

Their weights are already on this machine (see local_weights: a local folder, the local Hugging Face
cache, or a packaged default). A model loads lazily on first use, once per process, and lives only in
that process's memory (never pickled, never in Redis or a database); past
`$MEDITRACK_LOCAL_MODEL_BUDGET_MB` (default 4096) of loaded models the least recently used ones are
dropped. Generation parameters come from `spec.params` (temperature, top_p, top_k, min_p, typical_p,
do_sample, repetition_penalty, no_repeat_ngram_size, min_new_tokens); so do `batch_size`
(classification, embedding), `language`, `beam_size`, `vad_filter` and `compute_type`
(transcription). Imports nothing from Django; torch and friends load on first use.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import threading
import time
import wave
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meditrack.inference.backends.local_weights import resolve
from meditrack.inference.errors import (
    RAISED_AS_IS,
    BadInput,
    ModelTimeout,
    ModelUnavailable,
    StreamInterrupted,
)
from meditrack.inference.prompts import render_plain
from meditrack.inference.types import ChatMessage, Label, ModelSpec, Task, TokenCounter, Transcript, WordTiming

logger = logging.getLogger(__name__)

GENERATION_PARAMS = frozenset({
    "temperature", "top_p", "top_k", "min_p", "typical_p", "do_sample", "repetition_penalty",
    "no_repeat_ngram_size", "min_new_tokens",
})
# A base model given the plain prompt goes on to write the next turns itself; its reply ends there.
TURN_MARKERS = ("\nUser:", "\nSystem:", "\nAssistant:")
GENERATE_THREAD_NAME = "meditrack-local-generate"
# RoBERTa-style models number positions from padding_idx + 1: two of their positions are never usable.
_OFFSET_POSITION_MODELS = frozenset({"roberta", "xlm-roberta", "camembert"})
_WEIGHT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth")


# ---- the load-once cache of the models this process holds


@dataclass
class _Loaded:
    value: Any
    nbytes: int


_loaded: OrderedDict[tuple, _Loaded] = OrderedDict()  # least recently used first
_loaded_lock = threading.Lock()
_load_locks: dict[tuple, threading.Lock] = {}


def _budget_bytes() -> int:
    return int(float(os.environ.get("MEDITRACK_LOCAL_MODEL_BUDGET_MB") or 4096) * 2**20)


def loaded_models() -> list[tuple[str, str, int]]:
    """(kind, path, bytes) of each model this process holds, least recently used first."""
    with _loaded_lock:
        return [(key[0], key[1], entry.nbytes) for key, entry in _loaded.items()]


def unload_all() -> None:
    """Let go of every model; one still streaming a reply is freed once that reply ends."""
    with _loaded_lock:
        _loaded.clear()


def _load_once(key: tuple, slug: str, load: Callable[[], tuple[Any, int]]) -> Any:
    """The model under key, loaded by load() (returning it and its size) the first time it is asked for
    and kept until unload_all or the memory budget drops it."""
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key].value
        load_lock = _load_locks.setdefault(key, threading.Lock())
    # One lock per model: a thread asking for a model another is loading waits for it, and loading
    # one model does not hold up threads using those already loaded.
    with load_lock:
        with _loaded_lock:
            if key in _loaded:
                _loaded.move_to_end(key)
                return _loaded[key].value
        started = time.monotonic()
        try:
            value, nbytes = load()
        except RAISED_AS_IS:
            raise
        except Exception as exc:  # a load fails in as many ways as there are file formats: all mean "unavailable"
            raise ModelUnavailable(f"cannot load {key[1]}: {exc}", model=slug) from exc
        logger.info("loaded %s %s in %.1f s (%.0f MB)", key[0], key[1], time.monotonic() - started, nbytes / 2**20)
        with _loaded_lock:
            _make_room(nbytes)
            _loaded[key] = _Loaded(value, nbytes)
        return value


def _make_room(nbytes: int) -> None:
    budget = _budget_bytes()
    total = sum(entry.nbytes for entry in _loaded.values())
    while _loaded and total + nbytes > budget:
        key, entry = _loaded.popitem(last=False)
        total -= entry.nbytes
        logger.info("dropped %s %s to stay within %.0f MB", key[0], key[1], budget / 2**20)
    if nbytes > budget:
        logger.warning("a model of %.0f MB exceeds the %.0f MB budget on its own", nbytes / 2**20, budget / 2**20)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _parameter_bytes(module) -> int:
    tensors = [*module.parameters(), *module.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def _disk_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and f.suffix in _WEIGHT_SUFFIXES)


def _dtype(device: str):
    import torch

    # CPUs are fastest in float32; a GPU takes the checkpoint's own (half-precision, usually).
    return torch.float32 if device == "cpu" else "auto"


def _transformers_model(spec: ModelSpec, auto_class: str):
    path = resolve(spec)

    def load():
        import transformers

        device = _device()
        tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = getattr(transformers, auto_class).from_pretrained(path, local_files_only=True, dtype=_dtype(device))
        model.to(device).eval()
        return (model, tokenizer), _parameter_bytes(model)

    return _load_once((auto_class, str(path)), spec.slug, load)


def causal_lm(spec: ModelSpec):
    """(model, tokenizer) of spec's causal LM from the load-once cache: the very objects chat() runs."""
    return _transformers_model(spec, "AutoModelForCausalLM")


def classifier(spec: ModelSpec):
    """(model, tokenizer) of spec's sequence classifier from the load-once cache: the very objects classify() runs."""
    return _transformers_model(spec, "AutoModelForSequenceClassification")


def sentence_transformer(spec: ModelSpec):
    """spec's sentence-transformers model from the load-once cache; the offline analyser embeds with it too."""
    path = resolve(spec)

    def load():
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(path), device=_device(), local_files_only=True)
        model.eval()
        return model, _parameter_bytes(model)

    return _load_once(("sentence-transformer", str(path)), spec.slug, load)


def _whisper(spec: ModelSpec):
    path = resolve(spec)
    device = _device()
    compute_type = spec.params.get("compute_type") or ("int8" if device == "cpu" else "float16")

    def load():
        from faster_whisper import WhisperModel

        model = WhisperModel(str(path), device=device, compute_type=compute_type, local_files_only=True)
        # CTranslate2 holds its weights outside torch; the file is the estimate (int8 makes it an upper bound).
        return model, _disk_bytes(path)

    return _load_once(("whisper", str(path), compute_type), spec.slug, load)


# ---- chat


def render_prompt(tokenizer, messages: list[ChatMessage]) -> str:
    """The text the model is given: its tokenizer's chat template when it has one, else the plain form."""
    if tokenizer.chat_template:
        turns = [{"role": m.role, "content": m.content} for m in messages]
        return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    return render_plain(messages)


def prompt_inputs(tokenizer, messages: list[ChatMessage], device) -> dict[str, Any]:
    """The input_ids and attention_mask that the model is given for messages."""
    # A chat template writes its own special tokens (a <bos>, say); the plain form needs the usual ones.
    encoded = tokenizer(render_prompt(tokenizer, messages), return_tensors="pt",
                        add_special_tokens=not tokenizer.chat_template)
    # Only these two: a tokenizer may add token_type_ids, which GPT-2 would add into its embeddings.
    return {key: encoded[key].to(device) for key in ("input_ids", "attention_mask")}


def generation_settings(spec: ModelSpec, tokenizer, max_new_tokens: int) -> dict[str, Any]:
    """What generate() is told besides the inputs (and the streamer and stop that chat adds)."""
    pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return {
        **{k: v for k, v in spec.params.items() if k in GENERATION_PARAMS},
        "max_new_tokens": max_new_tokens,
        "pad_token_id": pad_token_id,
    }


def _event_stopper(event: threading.Event):
    import torch
    from transformers import StoppingCriteria

    class StopWhenSet(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device)

    return StopWhenSet()


class _GeneratedIds:
    """A streamer for generate() that only queues the new token ids: decoding them is left to the
    reader, off the thread that runs the model. None on the queue marks the end."""

    def __init__(self):
        self.queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._prompt_passed = False

    def put(self, value) -> None:
        if self._prompt_passed:  # generate() puts the prompt first: it is not part of the reply
            self.queue.put(value.tolist())  # the ids of one step, one per sequence: one here
        self._prompt_passed = True

    def end(self) -> None:
        self.queue.put(None)


class _IncrementalDecoder:
    """The text that each new run of token ids adds to a reply, decoding only the last few tokens
    each time: what came before is decoded again only as far back as the previous run, enough
    context for a SentencePiece token's leading space. Text that ends in U+FFFD (a character
    whose bytes have not all come) or that would change what was handed out waits for more ids.
    All the pieces add up to `tokenizer.decode(ids, skip_special_tokens=True)`."""

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._start = 0  # where the window decoded each time begins
        self._handed_out = 0  # the text of the ids before this has been handed out

    def add(self, ids: list[int]) -> str:
        self._ids += ids
        return self._advance(final=False)

    def rest(self) -> str:
        """What is still held back, once no more ids will come."""
        return self._advance(final=True)

    def _advance(self, *, final: bool) -> str:
        before = self._tokenizer.decode(self._ids[self._start:self._handed_out], skip_special_tokens=True)
        text = self._tokenizer.decode(self._ids[self._start:], skip_special_tokens=True)
        # Ids that add no text (a special token) leave the window where it is: were it to start at
        # them, the next token would be decoded as the first, whose leading space some decoders strip.
        if len(text) <= len(before) or not text.startswith(before) or (text.endswith("\ufffd") and not final):
            return ""
        self._start, self._handed_out = self._handed_out, len(self._ids)
        return text[len(before):]


def _generate_stream(spec: ModelSpec, model, tokenizer, inputs, max_new_tokens: int) -> Iterator[str]:
    """Text pieces as a generate thread produces them; closing this generator stops that thread
    within one token and joins it."""
    import torch
    from transformers import StoppingCriteriaList

    generated = _GeneratedIds()
    stop = threading.Event()
    failures: list[BaseException] = []
    kwargs = {
        **inputs,
        **generation_settings(spec, tokenizer, max_new_tokens),
        "streamer": generated,
        "stopping_criteria": StoppingCriteriaList([_event_stopper(stop)]),
    }

    def generate():
        try:
            with torch.inference_mode():
                model.generate(**kwargs)
        except BaseException as exc:
            failures.append(exc)
            generated.end()  # wake the reader, which would otherwise wait out its timeout

    thread = threading.Thread(target=generate, name=GENERATE_THREAD_NAME, daemon=True)
    thread.start()
    decoder = _IncrementalDecoder(tokenizer)
    delivered = False
    try:
        while (ids := generated.queue.get(timeout=spec.timeout_s)) is not None:
            if piece := decoder.add(ids):
                delivered = True
                yield piece
        if piece := decoder.rest():
            delivered = True
            yield piece
    except queue.Empty:
        error = StreamInterrupted if delivered else ModelTimeout
        raise error(f"no token within {spec.timeout_s:g} s", model=spec.slug) from None
    finally:
        stop.set()
        thread.join(spec.timeout_s)
        if thread.is_alive():
            logger.warning("generate thread of %s still running %g s after being stopped", spec.slug, spec.timeout_s)
    if failures:
        error = StreamInterrupted if delivered else ModelUnavailable
        raise error(f"generation failed: {failures[0]!r}", model=spec.slug) from failures[0]


def _partial_marker_length(text: str) -> int:
    """How long the end of text is that could be the start of a turn marker."""
    return max((n for marker in TURN_MARKERS for n in range(1, len(marker)) if text.endswith(marker[:n])), default=0)


def _until_next_turn(pieces: Generator[str]) -> Iterator[str]:
    """pieces up to where the model starts another turn. Trailing whitespace, and text that might
    begin a turn marker, wait for the next piece: a reply cut at a marker ends without them."""
    held = ""
    with closing(pieces):
        for piece in pieces:
            held += piece
            cuts = [i for i in (held.find(marker) for marker in TURN_MARKERS) if i >= 0]
            if cuts:
                if last := held[: min(cuts)].rstrip():
                    yield last
                return
            ready = len(held[: len(held) - _partial_marker_length(held)].rstrip())
            if ready:
                yield held[:ready]
                held = held[ready:]
        if held:
            yield held


def _whisper_samples(audio: bytes, *, sampling_rate: int):
    """Whisper's input: float samples at its rate. 16-bit mono PCM WAV at that rate (what the speech app sends)
    is read as it is; anything else goes through faster-whisper's decoder, which ends with a full garbage
    collection (about 0.1 s in a worker's heap, each call)."""
    import numpy as np

    try:
        with wave.open(io.BytesIO(audio)) as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getcomptype()) == (
                    1, 2, sampling_rate, "NONE"):
                return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    except (wave.Error, EOFError):
        pass
    from faster_whisper.audio import decode_audio

    return decode_audio(io.BytesIO(audio), sampling_rate=sampling_rate)


class LocalBackend:
    def chat(self, spec: ModelSpec, messages: list[ChatMessage], *, max_new_tokens: int) -> Iterator[str]:
        # Loading and prompt checks happen here, at the call, so a caller can fall back before any token.
        model, tokenizer = causal_lm(spec)
        inputs = prompt_inputs(tokenizer, messages, model.device)
        length = inputs["input_ids"].shape[1]
        if length > spec.context_window:
            raise BadInput(f"the prompt is {length} tokens, over the context window of {spec.context_window}",
                           model=spec.slug)
        pieces = _generate_stream(spec, model, tokenizer, inputs, max_new_tokens)
        return pieces if tokenizer.chat_template else _until_next_turn(pieces)

    def token_counter(self, spec: ModelSpec) -> TokenCounter | None:
        if spec.task == Task.CHAT:
            _, tokenizer = causal_lm(spec)
        elif spec.task in (Task.SENTIMENT, Task.EMOTION):
            _, tokenizer = classifier(spec)
        elif spec.task == Task.EMBEDDING:
            tokenizer = sentence_transformer(spec).tokenizer
        else:
            return None
        return lambda text: len(tokenizer.encode(text, add_special_tokens=False))

    def classify(self, spec: ModelSpec, texts: list[str]) -> list[list[Label]]:
        """Every label of the model for each text, best first, scores summing to 1."""
        if not texts:
            return []
        import torch

        model, tokenizer = classifier(spec)
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        positions = getattr(model.config, "max_position_embeddings", None) or 512
        if model.config.model_type in _OFFSET_POSITION_MODELS:
            positions -= 2
        max_length = min(tokenizer.model_max_length, positions)
        batch_size = int(spec.params.get("batch_size", 32))
        results = []
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, max_length=max_length,
                              return_tensors="pt").to(model.device)
            with torch.inference_mode():
                rows = model(**batch).logits.float().softmax(dim=-1).tolist()
            for row in rows:
                results.append(sorted((Label(label, score) for label, score in zip(labels, row, strict=True)),
                                      key=lambda item: item.score, reverse=True))
        return results

    def embed(self, spec: ModelSpec, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        if not texts:
            return []
        model = sentence_transformer(spec)
        vectors = model.encode(texts, batch_size=int(spec.params.get("batch_size", 32)), normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return vectors.tolist()

    def transcribe(self, spec: ModelSpec, audio: bytes) -> Transcript:
        model = _whisper(spec)
        try:
            samples = _whisper_samples(audio, sampling_rate=model.feature_extractor.sampling_rate)
        except RAISED_AS_IS:
            raise
        except Exception as exc:  # PyAV has an error class for each way a file can be unreadable
            raise BadInput("the audio could not be decoded", model=spec.slug) from exc
        if not samples.size:
            raise BadInput("the audio is empty", model=spec.slug)
        segments, info = model.transcribe(
            samples,
            language=spec.params.get("language"),
            beam_size=int(spec.params.get("beam_size", 5)),
            vad_filter=bool(spec.params.get("vad_filter", False)),
            word_timestamps=True,
        )
        segments = list(segments)  # the decoding runs as this is consumed
        words = [
            WordTiming(word=w.word.strip(), start=float(w.start), end=float(w.end), probability=float(w.probability))
            for segment in segments
            for w in segment.words or []
        ]
        text = " ".join(segment.text.strip() for segment in segments)
        return Transcript(text=text, language=info.language, words=words)

    def synthesize(self, spec: ModelSpec, text: str):
        raise BadInput(f"{Task.TTS} is not supported by the local backend", model=spec.slug)
