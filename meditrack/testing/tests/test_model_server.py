"""The loopback model server speaks what the real clients expect, and its faults reach them."""

import io
import json
import wave

import httpx
import httpx2
import numpy as np
import pytest
from huggingface_hub import AsyncInferenceClient, InferenceClient
from huggingface_hub.errors import (
    GenerationError,
    HfHubHTTPError,
    InferenceTimeoutError,
    OverloadedError,
    ValidationError,
)

from meditrack.testing.model_server import DEFAULT_REPLY, TGI_MODEL_ID

MESSAGES = [{"role": "user", "content": "How are you today?"}]


def sse_payloads(lines):
    return [line[len("data:") :].strip() for line in lines if line.startswith("data:")]


def test_it_streams_chat_over_the_openai_route(model_server):
    client = InferenceClient(base_url=f"{model_server.base_url}/v1")
    chunks = list(
        client.chat_completion(
            MESSAGES, model="org/chat", stream=True, max_tokens=100, stream_options={"include_usage": True}
        )
    )

    assert "".join(c.choices[0].delta.content for c in chunks) == DEFAULT_REPLY
    assert [c.choices[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + ["stop"]
    assert chunks[-1].usage.completion_tokens == len(chunks) == 6
    assert chunks[-1].usage.prompt_tokens == 4
    request = model_server.last_request
    assert (request.path, request.model, request.stream) == ("/v1/chat/completions", "org/chat", True)
    assert request.json["messages"] == MESSAGES and request.finished

    # On the wire: one chunk per event, then [DONE].
    with httpx.stream(
        "POST", f"{model_server.base_url}/v1/chat/completions", json={"messages": MESSAGES, "stream": True}
    ) as response:
        payloads = sse_payloads(list(response.iter_lines()))
    assert payloads[-1] == "[DONE]"
    assert json.loads(payloads[0])["object"] == "chat.completion.chunk"


def test_it_chats_on_a_model_path_and_honours_max_tokens(model_server):
    model_server.register("org/assistant", reply="One two three four five")
    client = InferenceClient(model=model_server.model_url("org/assistant"))

    output = client.chat_completion(MESSAGES, max_tokens=3)

    assert output.choices[0].message.content == "One two three"
    assert output.choices[0].finish_reason == "length"
    assert (output.usage.prompt_tokens, output.usage.completion_tokens) == (4, 3)
    assert model_server.last_request.path == "/models/org/assistant/v1/chat/completions"
    assert model_server.last_request.model == "org/assistant"


def test_it_streams_tgi_generate_stream(model_server):
    client = InferenceClient(model=f"{model_server.base_url}/generate_stream")
    events = list(client.text_generation("Once upon a time", stream=True, details=True, max_new_tokens=4))

    assert "".join(e.token.text for e in events) == "Hello! This is the"
    assert [e.generated_text for e in events[:-1]] == [None] * 3
    assert events[-1].generated_text == "Hello! This is the"
    assert (events[-1].details.finish_reason, events[-1].details.generated_tokens) == ("length", 4)
    assert model_server.last_request.json["parameters"]["max_new_tokens"] == 4

    # A TGI endpoint given as the bare URL: text_generation posts to "/", streaming or not.
    tgi = InferenceClient(model=model_server.base_url)
    assert "".join(tgi.text_generation("Hi", stream=True)) == DEFAULT_REPLY
    assert tgi.text_generation("Hi") == DEFAULT_REPLY
    assert model_server.count("/") == 2

    # A serverless text-generation model answers the same way on its /models/<id> URL.
    serverless = InferenceClient(model=model_server.model_url(TGI_MODEL_ID))
    assert "".join(serverless.text_generation("Hi", stream=True, max_new_tokens=1)) == "Hello!"
    assert serverless.text_generation("Hi") == DEFAULT_REPLY
    info = InferenceClient(model=model_server.base_url, provider="hf-inference")
    assert info.get_endpoint_info()["model_id"] == TGI_MODEL_ID and info.health_check()


def test_it_classifies_and_embeds(model_server):
    model_server.register("org/emotion", task="text-classification", labels=["joy", "fear", "anger"])
    model_server.register("org/embedder", task="feature-extraction", dim=16)

    labels = InferenceClient(model=model_server.model_url("org/emotion")).text_classification("I am so happy")
    assert sorted(item.label for item in labels) == ["anger", "fear", "joy"]
    assert labels[0].score >= labels[1].score >= labels[2].score
    assert sum(item.score for item in labels) == pytest.approx(1.0)

    batch = httpx.post(model_server.model_url("org/emotion"), json={"inputs": ["a", "b"], "parameters": {}}).json()
    assert len(batch) == 2 and all(len(row) == 3 for row in batch)

    embedder = InferenceClient(model=model_server.model_url("org/embedder"))
    vectors = embedder.feature_extraction(["first", "second"], normalize=True)
    assert vectors.shape == (2, 16)
    assert np.allclose(embedder.feature_extraction("first")[0], vectors[0])
    assert not np.allclose(vectors[0], vectors[1])
    assert model_server.last_request.json == {"inputs": "first"}


def test_it_transcribes_and_speaks(model_server):
    model_server.register("org/whisper", task="automatic-speech-recognition", reply="take two tablets")
    model_server.register("org/voice", task="text-to-speech")

    transcript = InferenceClient(model=model_server.model_url("org/whisper")).automatic_speech_recognition(b"RIFF0000")
    assert transcript.text == "take two tablets"
    assert model_server.last_request.body == b"RIFF0000"

    audio = InferenceClient(model=model_server.model_url("org/voice")).text_to_speech("Take two tablets")
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getnframes() > 0 and wav.getnchannels() == 1


def test_it_says_loading_with_503_and_estimated_time(model_server):
    model_server.loading_next(estimated_time=4.5)
    client = InferenceClient(model=model_server.model_url(TGI_MODEL_ID))

    with pytest.raises(HfHubHTTPError) as caught:
        client.chat_completion(MESSAGES)

    assert caught.value.response.status_code == 503
    assert caught.value.response.json() == {
        "error": f"Model {TGI_MODEL_ID} is currently loading",
        "estimated_time": 4.5,
    }
    # Consumed: the next call succeeds.
    assert client.chat_completion(MESSAGES).choices[0].message.content == DEFAULT_REPLY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429, 500])
def test_it_fails_with_any_status(model_server, status):
    model_server.fail_next(status, body={"error": f"scripted {status}"})
    client = InferenceClient(base_url=f"{model_server.base_url}/v1")

    with pytest.raises(HfHubHTTPError) as caught:
        list(client.chat_completion(MESSAGES, model="org/chat", stream=True))

    assert caught.value.response.status_code == status
    assert caught.value.response.json() == {"error": f"scripted {status}"}


def test_it_rate_limits_with_retry_after(model_server):
    model_server.rate_limit_next(retry_after=7)
    with pytest.raises(HfHubHTTPError) as caught:
        InferenceClient(model=model_server.model_url("meditrack/loopback-embedder")).feature_extraction("x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"


def test_it_lets_text_generation_parse_typed_errors(model_server):
    # With an error_type, text_generation raises its own error class instead of HfHubHTTPError.
    model_server.fail_next(422, body={"error": "Input validation error", "error_type": "validation"})
    with pytest.raises(ValidationError):
        InferenceClient(model=model_server.base_url).text_generation("Hi")


def test_it_answers_malformed_json(model_server):
    client = InferenceClient(base_url=f"{model_server.base_url}/v1")
    model_server.malformed_next(times=2)

    with pytest.raises(json.JSONDecodeError):
        client.chat_completion(MESSAGES, model="org/chat")
    with pytest.raises(json.JSONDecodeError):
        list(client.chat_completion(MESSAGES, model="org/chat", stream=True))
    assert [r.status for r in model_server.requests] == [200, 200]


def test_it_errors_inside_a_stream_after_a_200(model_server):
    received = []
    model_server.error_in_stream_after(2)
    client = InferenceClient(base_url=f"{model_server.base_url}/v1")
    with pytest.raises(OverloadedError, match="Model is overloaded"):
        for chunk in client.chat_completion(MESSAGES, model="org/chat", stream=True):
            received.append(chunk.choices[0].delta.content)
    assert received == ["Hello!", " This"]

    model_server.error_in_stream_after(1, "CUDA out of memory", "generation")
    tgi = InferenceClient(model=model_server.base_url)  # kept referenced: the stream dies with its client
    with pytest.raises(GenerationError, match="CUDA out of memory"):
        list(tgi.text_generation("Hi", stream=True))
    assert [r.status for r in model_server.requests] == [200, 200]


def test_it_cuts_a_stream(model_server):
    received = []
    model_server.cut_stream_after(2)
    client = InferenceClient(model=model_server.model_url(TGI_MODEL_ID))
    with pytest.raises(httpx2.RemoteProtocolError):
        for chunk in client.chat_completion(MESSAGES, stream=True):
            received.append(chunk.choices[0].delta.content)
    assert received == ["Hello!", " This"]
    assert model_server.last_request.tokens_sent == 2 and not model_server.last_request.finished

    # A cut TGI stream never delivers its final event, even when cut after every token.
    model_server.cut_stream_after(99)
    with httpx.Client() as plain:
        with plain.stream("POST", f"{model_server.base_url}/generate_stream", json={"inputs": "Hi"}) as response:
            lines = []
            with pytest.raises(httpx.RemoteProtocolError):
                lines.extend(response.iter_lines())
    assert all(json.loads(p)["generated_text"] is None for p in sse_payloads(lines))


def test_it_is_slow_when_told(model_server):
    model_server.first_byte_delay = 1.0
    client = InferenceClient(base_url=f"{model_server.base_url}/v1", timeout=0.1)
    with pytest.raises(InferenceTimeoutError):
        client.chat_completion(MESSAGES, model="org/chat")

    # Once the stream has begun, the timeout comes from the HTTP library, unwrapped.
    model_server.first_byte_delay = 0
    model_server.token_delay = 0.3
    with pytest.raises(httpx2.ReadTimeout):
        list(client.chat_completion(MESSAGES, model="org/chat", stream=True))
    client.close()


def test_it_notices_a_client_that_leaves_mid_stream(model_server):
    model_server.reply = ["word "] * 500
    model_server.token_delay = 0.02  # 10 s for the whole reply
    client = InferenceClient(base_url=f"{model_server.base_url}/v1")
    stream = client.chat_completion(MESSAGES, model="org/chat", stream=True)
    next(stream), next(stream)

    client.close()  # closes the streamed response

    assert model_server.wait_for_disconnect(timeout=3)
    (gone,) = model_server.disconnects
    assert gone.path == "/v1/chat/completions" and 2 <= gone.tokens_sent < 150 and not gone.finished


def test_it_consumes_faults_in_order_and_only_where_told(model_server):
    chat = InferenceClient(base_url=f"{model_server.base_url}/v1")
    embedder = InferenceClient(model=model_server.model_url("meditrack/loopback-embedder"))
    model_server.cut_stream_after(0)  # waits for a streaming request
    model_server.fail_next(500, times=2, path="/v1/chat/completions")
    model_server.fail_next(404, model="org/other")

    embedder.feature_extraction("unaffected")
    for _ in range(2):
        with pytest.raises(HfHubHTTPError):
            chat.chat_completion(MESSAGES, model="org/chat")
    assert chat.chat_completion(MESSAGES, model="org/chat").choices[0].finish_reason == "stop"
    with pytest.raises(HfHubHTTPError, match="404"):
        chat.chat_completion(MESSAGES, model="org/other")
    with pytest.raises(httpx2.RemoteProtocolError):
        list(chat.chat_completion(MESSAGES, model="org/chat", stream=True))

    assert model_server.pending_faults == []
    assert model_server.counts == {"/models/meditrack/loopback-embedder": 1, "/v1/chat/completions": 5}


def test_it_checks_the_bearer_token_and_model_ids(model_server):
    model_server.required_token = "hf_right"
    url = model_server.model_url("meditrack/loopback-classifier")

    with pytest.raises(HfHubHTTPError) as caught:
        InferenceClient(model=url, token="hf_wrong").text_classification("x")
    assert caught.value.response.status_code == 401
    assert caught.value.response.json() == {"error": "Invalid credentials in Authorization header"}

    assert InferenceClient(model=url, token="hf_right").text_classification("x")
    assert model_server.last_request.authorization == "Bearer hf_right"

    with pytest.raises(HfHubHTTPError) as caught:
        InferenceClient(model=model_server.model_url("org/missing"), token="hf_right").text_classification("x")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json() == {"error": "Model org/missing does not exist"}


@pytest.mark.asyncio
async def test_it_streams_to_the_async_client(model_server):
    async with AsyncInferenceClient(base_url=f"{model_server.base_url}/v1") as client:
        stream = await client.chat_completion(MESSAGES, model="org/chat", stream=True)
        assert "".join([chunk.choices[0].delta.content async for chunk in stream]) == DEFAULT_REPLY

        model_server.loading_next()
        with pytest.raises(HfHubHTTPError) as caught:
            await client.chat_completion(MESSAGES, model="org/chat", stream=True)
        assert caught.value.response.status_code == 503
