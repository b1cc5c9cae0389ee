"""Hugging Face serverless (`hf_inference`) and dedicated endpoints / TGI (`hf_endpoint`) through
huggingface_hub's InferenceClient; OpenAI-compatible servers (vLLM, Ollama, llama.cpp) through the
same HTTP session, reading their stream directly. Imports nothing from Django.

InferenceClient retries nothing, and its failures come in several shapes: HfHubHTTPError for a
status, InferenceTimeoutError (or the HTTP library's own timeout once a stream has begun), a
text-generation error parsed from an error event inside a 200 stream, a protocol error when a
stream is cut. translate() turns each into our error hierarchy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
from huggingface_hub import InferenceClient, get_session
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, TextGenerationError
from huggingface_hub.errors import ValidationError as TGIValidationError
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

from meditrack.inference.errors import (
    RAISED_AS_IS,
    BadInput,
    InferenceError,
    ModelAuthError,
    ModelTimeout,
    ModelUnavailable,
    RateLimited,
)
from meditrack.inference.prompts import render_plain
from meditrack.inference.types import BackendName, ChatMessage, Label, ModelSpec, Speech, TokenCounter, Transcript

SERVERLESS_ROOT = "https://router.huggingface.co/hf-inference"
CHAT_PARAMS = {"temperature", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty"}
TGI_PARAMS = {"temperature", "top_p", "top_k", "seed", "stop", "repetition_penalty", "do_sample", "typical_p"}
TGI_FINISH = {"length": "length", "eos_token": "stop", "stop_sequence": "stop"}


def _seconds(value) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _status_error(response: httpx2.Response, model: str) -> InferenceError:
    status = response.status_code
    try:
        response.read()
        body = response.json()
    except Exception:
        body = {}
    body = body if isinstance(body, dict) else {}
    retry_after = _seconds(response.headers.get("retry-after"))
    if status in (401, 403):
        return ModelAuthError(f"the provider refused our credentials ({status}); check the model's token",
                              model=model)
    if status == 429:
        return RateLimited("the provider is rate-limiting us (429)", model=model, retry_after=retry_after)
    if status == 503 and "estimated_time" in body:
        return ModelUnavailable("the model is loading (503)", model=model,
                                retry_after=_seconds(body["estimated_time"]) or retry_after)
    if status >= 500:
        return ModelUnavailable(f"the provider failed ({status})", model=model, retry_after=retry_after)
    if status in (400, 404, 413, 422):
        return BadInput(f"the provider rejected the request ({status})", model=model)
    return ModelUnavailable(f"unexpected answer from the provider ({status})", model=model)


def translate(exc: Exception, spec: ModelSpec) -> InferenceError:
    """Our error for whatever the HTTP layer raised. Details never quote the request or reply."""
    model = spec.slug
    if isinstance(exc, InferenceError):
        return exc
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return _status_error(exc.response, model)
    if isinstance(exc, InferenceTimeoutError | httpx2.TimeoutException | TimeoutError):
        return ModelTimeout(f"no answer within {spec.timeout_s:g} s", model=model)
    if isinstance(exc, TGIValidationError):
        return BadInput("the server rejected the request inside its stream", model=model)
    if isinstance(exc, TextGenerationError):
        return ModelUnavailable(f"the server reported an error inside its stream ({type(exc).__name__})",
                                model=model)
    if isinstance(exc, httpx2.TransportError | ConnectionError):
        return ModelUnavailable(f"could not reach the model server ({type(exc).__name__})", model=model)
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):  # malformed JSON or shape
        return ModelUnavailable("the model server sent a malformed answer", model=model)
    return ModelUnavailable(f"unexpected failure ({type(exc).__name__})", model=model)


def model_url(spec: ModelSpec) -> str:
    if spec.backend == BackendName.HF_INFERENCE:
        return f"{(spec.base_url or SERVERLESS_ROOT).rstrip('/')}/models/{spec.model_id}"
    return spec.base_url.rstrip("/")


class RemoteBackend:
    def _client(self, spec: ModelSpec) -> InferenceClient:
        # Without a token of its own, huggingface_hub would send HF_TOKEN (or a cached login) to any host;
        # it takes no False here, so a blank Authorization header stands in for none.
        headers = None if spec.token else {"authorization": ""}
        return InferenceClient(model=model_url(spec), token=spec.token, headers=headers, timeout=spec.timeout_s)

    def token_counter(self, spec: ModelSpec) -> TokenCounter | None:
        return None

    def chat(self, spec: ModelSpec, messages: list[ChatMessage], *, max_new_tokens: int) -> Iterator[str]:
        try:
            if spec.backend == BackendName.OPENAI_COMPATIBLE:
                return (yield from self._openai_stream(spec, messages, max_new_tokens))
            # One client per call: closing it closes the streamed response, so a stop reaches the server.
            with self._client(spec) as client:
                if spec.params.get("chat_template", True) is False:
                    return (yield from self._generate(client, spec, messages, max_new_tokens))
                return (yield from self._chat_completion(client, spec, messages, max_new_tokens))
        except RAISED_AS_IS:
            raise
        except Exception as exc:
            raise translate(exc, spec) from exc

    def _openai_stream(self, spec, messages, max_new_tokens) -> Iterator[str]:
        """The OpenAI streaming protocol read directly on the shared HTTP session: the same wire format
        InferenceClient speaks, without its per-call request building and per-chunk object parsing."""
        body = {"model": spec.model_id, "messages": [{"role": m.role, "content": m.content} for m in messages],
                "max_tokens": max_new_tokens, "stream": True,
                **{k: v for k, v in spec.params.items() if k in CHAT_PARAMS}}
        headers = {"Authorization": f"Bearer {spec.token}"} if spec.token else {}
        url = f"{spec.base_url.rstrip('/')}/chat/completions"
        with get_session().stream("POST", url, json=body, headers=headers, timeout=spec.timeout_s) as response:
            if response.status_code >= 400:
                raise _status_error(response, spec.slug)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                if event.get("error") is not None:
                    raise ModelUnavailable("the server reported an error inside its stream", model=spec.slug)
                for choice in event.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield content
                    if choice.get("finish_reason"):
                        return "length" if choice["finish_reason"] == "length" else "stop"
        raise ModelUnavailable("the stream ended without a finish reason", model=spec.slug)

    def _chat_completion(self, client, spec, messages, max_new_tokens) -> Iterator[str]:
        params = {k: v for k, v in spec.params.items() if k in CHAT_PARAMS}
        stream = client.chat_completion([{"role": m.role, "content": m.content} for m in messages],
                                        max_tokens=max_new_tokens, stream=True, **params)
        for chunk in stream:
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.delta and choice.delta.content:
                yield choice.delta.content
            if choice.finish_reason:
                return "length" if choice.finish_reason == "length" else "stop"
        raise ModelUnavailable("the stream ended without a finish reason", model=spec.slug)

    def _generate(self, client, spec, messages, max_new_tokens) -> Iterator[str]:
        """TGI's text-generation stream, for endpoints whose model has no chat template."""
        params = {k: v for k, v in spec.params.items() if k in TGI_PARAMS}
        stream = client.text_generation(render_plain(messages), max_new_tokens=max_new_tokens, stream=True,
                                        details=True, **params)
        for event in stream:
            if event.token and not event.token.special:
                yield event.token.text
            if event.details is not None:
                return TGI_FINISH.get(str(event.details.finish_reason), "stop")
        raise ModelUnavailable("the stream ended without its final event", model=spec.slug)

    def classify(self, spec: ModelSpec, texts: list[str]) -> list[list[Label]]:
        # InferenceClient.text_classification takes one text; the API takes a batch in one call.
        try:
            response = get_session().post(model_url(spec), json={"inputs": texts, "parameters": {"top_k": None}},
                                          headers=build_hf_headers(token=spec.token or False), timeout=spec.timeout_s)
            hf_raise_for_status(response)
            rows = response.json()
            if len(texts) == 1 and rows and isinstance(rows[0], dict):
                rows = [rows]
            if len(rows) != len(texts):
                raise ValueError("one result per text expected")
            return [[Label(str(item["label"]), float(item["score"])) for item in row] for row in rows]
        except RAISED_AS_IS:
            raise
        except Exception as exc:
            raise translate(exc, spec) from exc

    def _task(self, spec: ModelSpec, method: str, *args, **kwargs):
        """One non-streaming InferenceClient call, its failures translated like every other."""
        try:
            with self._client(spec) as client:
                return getattr(client, method)(*args, **kwargs)
        except RAISED_AS_IS:
            raise
        except Exception as exc:
            raise translate(exc, spec) from exc

    def embed(self, spec: ModelSpec, texts: list[str]) -> list[list[float]]:
        vectors = self._task(spec, "feature_extraction", texts, normalize=True)
        if len(vectors) != len(texts):
            raise ModelUnavailable("the model server sent a malformed answer", model=spec.slug)
        return [list(map(float, v)) for v in vectors]

    def transcribe(self, spec: ModelSpec, audio: bytes) -> Transcript:
        return Transcript(text=self._task(spec, "automatic_speech_recognition", audio).text.strip())

    def synthesize(self, spec: ModelSpec, text: str) -> Speech:
        audio = self._task(spec, "text_to_speech", text)
        return Speech(audio=audio, media_type=spec.params.get("media_type", "audio/flac"))
