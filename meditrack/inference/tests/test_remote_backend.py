"""The remote backend against a real loopback server speaking HF serverless, TGI and OpenAI."""

import pytest

from meditrack.inference.backends.remote import RemoteBackend
from meditrack.inference.errors import BadInput, ModelAuthError, ModelTimeout, ModelUnavailable, RateLimited
from meditrack.inference.types import BackendName, ChatMessage, ModelSpec, Task

HELLO = [ChatMessage("system", "Be brief."), ChatMessage("user", "Hello")]
backend = RemoteBackend()


def spec(server, backend_name="openai_compatible", task=Task.CHAT, model_id="meditrack/loopback-llm", **extra):
    base = {"openai_compatible": f"{server.base_url}/v1", "hf_endpoint": server.base_url,
            "hf_inference": server.base_url}[backend_name]
    return ModelSpec(slug=f"{backend_name}-model", task=task, backend=BackendName(backend_name), model_id=model_id,
                     base_url=base, timeout_s=extra.pop("timeout_s", 5), **extra)


def chat(s, max_new_tokens=32):
    gen = backend.chat(s, HELLO, max_new_tokens=max_new_tokens)
    pieces = []
    try:
        while True:
            pieces.append(next(gen))
    except StopIteration as stop:
        return pieces, stop.value


@pytest.mark.parametrize("backend_name", ["openai_compatible", "hf_inference", "hf_endpoint"])
def test_it_streams_chat_token_by_token_from_each_kind_of_server(model_server, backend_name):
    model_server.reply = ["Hello", " there", ",", " friend", "."]
    pieces, finish = chat(spec(model_server, backend_name))
    assert pieces == ["Hello", " there", ",", " friend", "."]
    assert finish == "stop"
    sent = model_server.last_request.json
    assert sent["stream"] is True and sent["max_tokens"] == 32
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


def test_it_streams_tgi_text_generation_with_the_plain_prompt_when_there_is_no_chat_template(model_server):
    model_server.reply = ["Hi", " you"]
    pieces, finish = chat(spec(model_server, "hf_endpoint", params={"chat_template": False}))
    assert pieces == ["Hi", " you"]
    assert finish == "stop"
    assert model_server.last_request.json["inputs"] == "System: Be brief.\n\nUser: Hello\nAssistant:"


def test_it_reports_length_when_the_server_stopped_at_max_tokens(model_server):
    model_server.reply = ["a", "b", "c", "d", "e"]
    pieces, finish = chat(spec(model_server), max_new_tokens=3)
    assert pieces == ["a", "b", "c"]
    assert finish == "length"


def test_it_sends_the_operators_token(model_server):
    model_server.required_token = "hf_secret"
    pieces, _ = chat(spec(model_server, token="hf_secret"))
    assert pieces
    assert model_server.last_request.authorization == "Bearer hf_secret"


def test_a_loading_model_is_unavailable_with_its_estimated_time(model_server):
    model_server.loading_next(estimated_time=3.5)
    with pytest.raises(ModelUnavailable) as caught:
        chat(spec(model_server, "hf_inference"))
    assert caught.value.retry_after == 3.5


def test_a_429_is_rate_limited_with_retry_after(model_server):
    model_server.rate_limit_next(retry_after=7)
    with pytest.raises(RateLimited) as caught:
        chat(spec(model_server))
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("status, error", [(401, ModelAuthError), (403, ModelAuthError), (400, BadInput),
                                           (404, BadInput), (422, BadInput), (500, ModelUnavailable),
                                           (502, ModelUnavailable)])
def test_each_status_maps_to_one_error_that_names_the_model(model_server, status, error):
    model_server.fail_next(status)
    with pytest.raises(error) as caught:
        chat(spec(model_server))
    assert caught.value.model == "openai_compatible-model"
    assert str(status) in caught.value.detail


def test_malformed_json_is_unavailable_not_a_crash(model_server):
    model_server.malformed_next()
    with pytest.raises(ModelUnavailable, match="malformed"):
        chat(spec(model_server))


def test_a_server_too_slow_to_answer_times_out(model_server):
    model_server.first_byte_delay = 2.0
    with pytest.raises(ModelTimeout):
        chat(spec(model_server, timeout_s=0.3))


def test_a_stream_that_stalls_mid_way_times_out(model_server):
    model_server.reply = ["a", "b", "c"]
    model_server.token_delay = 1.0
    with pytest.raises(ModelTimeout):
        chat(spec(model_server, timeout_s=0.4))


@pytest.mark.parametrize("backend_name", ["openai_compatible", "hf_endpoint"])
def test_an_error_inside_a_200_stream_is_raised_as_ours(model_server, backend_name):
    model_server.reply = ["one", " two", " three", " four"]
    model_server.error_in_stream_after(2, message="Model is overloaded", error_type="overloaded")
    gen = backend.chat(spec(model_server, backend_name), HELLO, max_new_tokens=32)
    assert [next(gen), next(gen)] == ["one", " two"]
    with pytest.raises(ModelUnavailable, match="inside its stream"):
        next(gen)


def test_a_cut_stream_is_an_error_not_a_short_answer(model_server):
    model_server.reply = ["one", " two", " three", " four"]
    model_server.cut_stream_after(2)
    gen = backend.chat(spec(model_server), HELLO, max_new_tokens=32)
    assert [next(gen), next(gen)] == ["one", " two"]
    with pytest.raises(ModelUnavailable):
        next(gen)


def test_closing_the_stream_closes_the_connection_so_the_server_stops(model_server):
    model_server.reply = ["tok"] * 200
    model_server.token_delay = 0.01
    gen = backend.chat(spec(model_server), HELLO, max_new_tokens=200)
    next(gen)
    gen.close()
    assert model_server.wait_for_disconnect(timeout=3)
    assert model_server.disconnects[0].tokens_sent < 200


def test_it_classifies_a_batch_in_one_call_with_every_label(model_server):
    model_server.register("org/sentiment", task="text-classification", labels=("negative", "neutral", "positive"))
    s = spec(model_server, "hf_inference", task=Task.SENTIMENT, model_id="org/sentiment")
    rows = backend.classify(s, ["I feel great", "I feel awful", "It is Tuesday"])
    assert len(rows) == 3
    assert all({label.label for label in row} == {"negative", "neutral", "positive"} for row in rows)
    assert model_server.count("/models/org/sentiment") == 1


def test_it_embeds_a_batch(model_server):
    s = spec(model_server, "hf_inference", task=Task.EMBEDDING, model_id="meditrack/loopback-embedder")
    vectors = backend.embed(s, ["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 8
    assert vectors[0] != vectors[1]


def test_it_transcribes_and_synthesizes(model_server):
    tts = spec(model_server, "hf_inference", task=Task.TTS, model_id="meditrack/loopback-tts")
    speech = backend.synthesize(tts, "Hello there")
    assert speech.audio[:4] == b"RIFF"
    asr = spec(model_server, "hf_inference", task=Task.ASR, model_id="meditrack/loopback-asr")
    assert backend.transcribe(asr, speech.audio).text
