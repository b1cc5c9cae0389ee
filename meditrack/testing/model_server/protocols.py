"""What the loopback model server answers, route by route: Hugging Face's serverless Inference API, TGI and
OpenAI-compatible chat, with the faults a test scripted."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import time
import wave
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .faults import MALFORMED_BODY, STREAM_FAULTS, Fault
from .http import ClientGone, Handler, Hangup
from .records import (
    ASR,
    FEATURE_EXTRACTION,
    TEXT_CLASSIFICATION,
    TEXT_GENERATION,
    TGI_MODEL_ID,
    TTS,
    TTS_SAMPLE_RATE,
    ModelEntry,
    RecordedRequest,
)

if TYPE_CHECKING:
    from .server import ModelServer


def respond(server: ModelServer, h: Handler, record: RecordedRequest) -> None:
    server.pause(server.first_byte_delay)
    if server.required_token is not None and record.authorization != f"Bearer {server.required_token}":
        return _error(h, record, 401, {"error": "Invalid credentials in Authorization header"})

    fault = server.take_fault(record)
    record.fault = fault
    if fault is not None and fault.kind == "delay":
        server.pause(fault.seconds)
        fault = None
    if fault is not None and fault.kind == "status":
        return _error(h, record, fault.status, fault.answer_body(record), fault.answer_headers())
    if fault is not None and fault.kind == "malformed":
        record.status = 200
        if record.stream:
            h.start_stream()
            return h.end_stream(MALFORMED_BODY)
        return h.send_body(200, MALFORMED_BODY, "application/json")

    route, model_id = record.route, record.model
    if route == "not_found":
        return _error(h, record, 404, {"error": "Not Found"})
    if route == "list_models":
        return _ok(h, record, {"object": "list", "data": [_model_card(m) for m in server.models]})

    # Only ids in the path must be registered: like TGI, the body's model is whatever the client says.
    entry = server.models.get(model_id) if model_id is not None else None
    if route.startswith("models/") and entry is None:
        return _error(h, record, 404, {"error": f"Model {model_id} does not exist"})
    if route.endswith("health"):
        record.status = 200
        return h.send_body(200, b"", "application/json")
    if route.endswith("info"):
        return _ok(h, record, _tgi_info(model_id if entry else TGI_MODEL_ID, entry))
    if route.endswith("chat"):
        if entry is not None and entry.task != TEXT_GENERATION:
            return _error(
                h, record, 400, {"error": f"Model {model_id} does not support chat completion (it is {entry.task})"}
            )
        return _chat(server, h, record, entry, fault)
    if route.endswith(("generate", "generate_stream", "compat")):
        if entry is not None and entry.task != TEXT_GENERATION:
            return _error(h, record, 400, {"error": f"Model {model_id} does not support text generation"})
        return _generate(server, h, record, entry, fault, list_output=route == "compat")
    if entry.task == TEXT_GENERATION:
        # The serverless API answers a text-generation model like TGI's "/": a list unless streaming.
        return _generate(server, h, record, entry, fault, list_output=True)
    return _task(server, h, record, entry)


def route(method: str, path: str) -> tuple[str, str | None]:
    """(route, model id from the path). Routes under /models/<id> are prefixed "models/"."""
    if path.startswith("/models/"):
        rest = path[len("/models/") :].rstrip("/")
        for suffix, name, wanted in (
            ("/v1/chat/completions", "models/chat", "POST"),
            ("/generate_stream", "models/generate_stream", "POST"),
            ("/generate", "models/generate", "POST"),
            ("/info", "models/info", "GET"),
            ("/health", "models/health", "GET"),
        ):
            if rest.endswith(suffix) and method == wanted:
                return name, rest[: -len(suffix)]
        if method != "POST":
            return "not_found", rest
        match = re.fullmatch(r"(.+)/pipeline/[\w-]+", rest)
        return "models/task", match.group(1) if match else rest
    routes = {
        ("POST", "/v1/chat/completions"): "chat",
        ("POST", "/generate"): "generate",
        ("POST", "/generate_stream"): "generate_stream",
        ("POST", "/"): "compat",
        ("GET", "/info"): "info",
        ("GET", "/health"): "health",
        ("GET", "/v1/models"): "list_models",
    }
    return routes.get((method, path.rstrip("/") or "/"), "not_found"), None


def is_stream(route: str, path_model: str | None, payload: Any, models: dict[str, ModelEntry]) -> bool:
    if route.endswith("generate_stream"):
        return True
    wants = isinstance(payload, dict) and payload.get("stream") is True
    if route.endswith(("chat", "compat")):
        return wants
    if route == "models/task":
        entry = models.get(path_model)
        return wants and entry is not None and entry.task == TEXT_GENERATION
    return False


def embedding(text: str, dim: int) -> list[float]:
    """The unit vector the server answers for text: the same text, the same vector."""
    raw = b"".join(_digest(f"{i}:{text}") for i in range(dim // 8 + 1))
    vector = [int.from_bytes(raw[4 * i : 4 * i + 4], "big") / 2**31 - 1.0 for i in range(dim)]
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def tiny_wav(seconds: float = 0.05, sample_rate: int = TTS_SAMPLE_RATE) -> bytes:
    """A valid mono 16-bit WAV holding a short 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / sample_rate)))
        for i in range(int(seconds * sample_rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(frames)
    return buffer.getvalue()


# -- answers ----------------------------------------------------------------------------------


def _ok(h: Handler, record: RecordedRequest, payload: Any) -> None:
    record.status = 200
    h.send_json(200, payload)


def _error(h: Handler, record: RecordedRequest, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    record.status = status
    headers = dict(headers or {})
    content_type = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
    if isinstance(body, bytes):
        return h.send_body(status, body, content_type or "text/plain; charset=utf-8", headers)
    h.send_body(status, json.dumps(body).encode(), content_type or "application/json", headers)


def _tokens(server: ModelServer, record: RecordedRequest, entry: ModelEntry | None) -> list[str]:
    reply = entry.reply if entry is not None and entry.reply is not None else server.reply
    if callable(reply):
        reply = reply(record)
    if isinstance(reply, str):
        return re.findall(r"\s*\S+", reply)
    return list(reply)


def _stream(
    server: ModelServer,
    h: Handler,
    record: RecordedRequest,
    tokens: list,
    fault: Fault | None,
    event: Callable[[int], Any],
    cut_limit: int,
    tail: str | None,
) -> None:
    """Stream one event per token; a stream fault fires before token `after` (capped at cut_limit,
    so the final event is never sent)."""
    record.status = 200
    h.start_stream()
    fire_at = min(fault.after, cut_limit) if fault is not None and fault.kind in STREAM_FAULTS else None
    for i in range(len(tokens) + 1):
        if i == fire_at:
            if fault.kind == "cut":
                raise Hangup
            return h.end_stream({"error": fault.message, "error_type": fault.error_type})
        if i == len(tokens):
            break
        server.pause(server.token_delay)
        record.tokens_sent += 1
        if i == len(tokens) - 1 and tail is None:
            return h.end_stream(event(i))
        try:
            h.send_event(event(i))
        except ClientGone:
            record.tokens_sent -= 1
            raise
        server.notify()
    h.end_stream(tail)


def _chat(
    server: ModelServer, h: Handler, record: RecordedRequest, entry: ModelEntry | None, fault: Fault | None
) -> None:
    body = record.json if isinstance(record.json, dict) else {}
    limit = body.get("max_tokens", body.get("max_completion_tokens"))
    all_tokens = _tokens(server, record, entry)
    tokens = all_tokens[:limit] if isinstance(limit, int) else all_tokens
    finish = "length" if len(tokens) < len(all_tokens) else "stop"
    prompt_tokens = sum(_count_words(m.get("content")) for m in body.get("messages") or [] if isinstance(m, dict))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(tokens),
        "total_tokens": prompt_tokens + len(tokens),
    }
    common = {
        "id": f"chatcmpl-loopback-{id(record):x}",
        "created": int(time.time()),
        "model": record.model or TGI_MODEL_ID,
        "system_fingerprint": "loopback",
    }
    if not record.stream:
        return _ok(
            h,
            record,
            {
                **common,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(tokens)},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": usage,
            },
        )
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    # An empty reply still needs one chunk to carry finish_reason.
    pieces = tokens or [""]

    def event(i: int) -> dict:
        last = i == len(pieces) - 1
        chunk = {
            **common,
            "object": "chat.completion.chunk",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": pieces[i]},
                    "logprobs": None,
                    "finish_reason": finish if last else None,
                }
            ],
        }
        if last and include_usage:
            chunk["usage"] = usage
        return chunk

    _stream(server, h, record, pieces, fault, event, cut_limit=len(pieces), tail="[DONE]")


def _generate(
    server: ModelServer,
    h: Handler,
    record: RecordedRequest,
    entry: ModelEntry | None,
    fault: Fault | None,
    list_output: bool,
) -> None:
    body = record.json if isinstance(record.json, dict) else {}
    parameters = body.get("parameters") or {}
    limit = parameters.get("max_new_tokens")
    if isinstance(limit, int) and limit < 1:
        # What TGI answers; with error_type the client raises its ValidationError.
        error = "Input validation error: `max_new_tokens` must be strictly positive"
        return _error(h, record, 422, {"error": error, "error_type": "validation"})
    all_tokens = _tokens(server, record, entry)
    tokens = all_tokens[:limit] if isinstance(limit, int) else all_tokens
    finish = "length" if len(tokens) < len(all_tokens) else "eos_token"
    input_length = _count_words(body.get("inputs"))
    text = "".join(tokens)
    token_objects = [{"id": _token_id(t), "text": t, "logprob": -0.25, "special": False} for t in tokens]

    if not record.stream:
        output: dict[str, Any] = {"generated_text": text}
        if parameters.get("details"):
            output["details"] = {
                "finish_reason": finish,
                "generated_tokens": len(tokens),
                "seed": None,
                "prefill": [],
                "tokens": token_objects,
            }
        return _ok(h, record, [output] if list_output else output)

    pieces = token_objects or [{"id": 0, "text": "", "logprob": 0.0, "special": True}]

    details = {"finish_reason": finish, "generated_tokens": len(tokens), "seed": None, "input_length": input_length}

    def event(i: int) -> dict:
        last = i == len(pieces) - 1
        return {
            "index": i,
            "token": pieces[i],
            "top_tokens": None,
            "generated_text": text if last else None,
            "details": details if last else None,
        }

    # TGI ends with the event carrying generated_text, no [DONE]; a cut never lets it through.
    _stream(server, h, record, pieces, fault, event, cut_limit=len(pieces) - 1, tail=None)


def _task(server: ModelServer, h: Handler, record: RecordedRequest, entry: ModelEntry) -> None:
    body = record.json if isinstance(record.json, dict) else {}
    inputs = body.get("inputs")
    parameters = body.get("parameters") or {}
    if entry.task == TEXT_CLASSIFICATION:
        texts = inputs if isinstance(inputs, list) else [inputs]
        top_k = parameters.get("top_k")
        return _ok(h, record, [_classify(str(t), entry.labels, top_k) for t in texts])
    if entry.task == FEATURE_EXTRACTION:
        texts = inputs if isinstance(inputs, list) else [inputs]
        dim = entry.dim or server.embedding_dim
        return _ok(h, record, [embedding(str(t), dim) for t in texts])
    if entry.task == ASR:
        return _ok(h, record, {"text": "".join(_tokens(server, record, entry)).strip(), "chunks": None})
    if entry.task == TTS:
        record.status = 200
        return h.send_body(200, tiny_wav(), "audio/wav")
    raise AssertionError(f"unhandled task {entry.task}")


# -- helpers ----------------------------------------------------------------------------------


def _count_words(content: Any) -> int:
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):  # chat content parts
        return sum(_count_words(part.get("text")) for part in content if isinstance(part, dict))
    return 0


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _token_id(token: str) -> int:
    return int.from_bytes(_digest(token)[:4], "big") % 32000


def _classify(text: str, labels: tuple[str, ...], top_k: Any) -> list[dict]:
    digest = _digest(text)
    logits = [digest[i % len(digest)] / 32.0 for i in range(len(labels))]
    total = sum(math.exp(x) for x in logits)
    scored = sorted(
        ({"label": label, "score": math.exp(x) / total} for label, x in zip(labels, logits, strict=True)),
        key=lambda item: -item["score"],
    )
    return scored[:top_k] if isinstance(top_k, int) else scored


def _model_card(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "loopback"}


def _tgi_info(model_id: str, entry: ModelEntry | None) -> dict:
    return {
        "model_id": model_id,
        "model_sha": None,
        "model_dtype": "torch.float16",
        "model_device_type": "cpu",
        "model_pipeline_tag": entry.task if entry is not None else TEXT_GENERATION,
        "max_concurrent_requests": 128,
        "max_best_of": 2,
        "max_stop_sequences": 4,
        "max_input_tokens": 4095,
        "max_total_tokens": 4096,
        "validation_workers": 2,
        "max_client_batch_size": 4,
        "router": "text-generation-router",
        "version": "3.0.0",
        "sha": None,
        "docker_label": None,
    }
