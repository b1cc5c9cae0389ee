"""A loopback stand-in for remote model servers, for tests and benchmarks. Pure stdlib; imports nothing from
Django (bench/chat_stream.py loads it by path, without the meditrack package).

`ModelServer` is a real HTTP/1.1 server on 127.0.0.1 (a free port), answering from background threads.
Real clients (huggingface_hub's InferenceClient, httpx) talk to it over TCP, unpatched. It speaks:

* HF serverless Inference API: ``POST /models/<model_id>`` (and ``.../pipeline/<task>``); the id may hold
  a ``/``. The task each id serves comes from `register()` (a few ``meditrack/loopback-*`` ids are
  pre-registered, see `DEFAULT_MODELS`); an unknown id gets 404 ``{"error": "Model X does not exist"}``.
* TGI: ``POST /generate``, ``POST /generate_stream``, ``POST /`` (streams when the body says
  ``"stream": true``), ``GET /info``, ``GET /health``; the same under ``/models/<model_id>/``.
* OpenAI-compatible chat: ``POST /v1/chat/completions`` (any model named in the body is served) and
  ``POST /models/<model_id>/v1/chat/completions``; ``GET /v1/models``.

Client construction that reaches it::

    InferenceClient(model=f"{server.base_url}/models/org/name")  # serverless tasks, and chat on that model
    InferenceClient(base_url=f"{server.base_url}/v1")            # chat; chat_completion(..., model="org/name")
    InferenceClient(model=server.base_url)                        # TGI: text_generation posts to "/",
                                                                  # chat_completion to /v1/chat/completions
    InferenceClient(model=f"{server.base_url}/generate_stream")   # TGI: text_generation(..., stream=True)
    InferenceClient(model=server.base_url, provider="hf-inference")  # get_endpoint_info(), health_check()

Behaviour, set per test (plain attributes, read on every request):
    reply             str (split into word tokens), list of tokens, or callable(RecordedRequest) -> either
    token_delay       seconds slept before each streamed token
    first_byte_delay  seconds slept before anything is answered (provokes client timeouts)
    required_token    when set, requests without ``Authorization: Bearer <it>`` get 401 (no fault consumed)
    embedding_dim     feature-extraction vector size (default 8; per model via register(dim=...))

Faults are queued and consumed one per request, first matching one wins (``path=`` exact path,
``model=`` model id; stream faults wait for a streaming request); ``times=None`` means until cleared:
    fail_next(status, body=None, headers=None)   any status with a JSON error body (503: "loading")
    loading_next(estimated_time)                  503 {"error": "Model X is currently loading", ...}
    rate_limit_next(retry_after)                  429 with Retry-After
    malformed_next()                              200 with a body (or SSE event) that is not JSON
    delay_next(seconds)                           wait before answering, then answer normally
    cut_stream_after(n)                           close the connection after n tokens, no final event
    error_in_stream_after(n, message, error_type) after n tokens send data: {"error", "error_type"}, end

Records: `requests` (RecordedRequest: method, path, model, headers, json, tokens_sent, disconnected...),
`counts` per path, `disconnects` (streams whose client went away: a write failed), `errors` (bugs in
this server; should stay empty). `wait_for_disconnect()` waits for the server to notice a client leaving.

Modules: records (what it knows and was asked), faults (the scripting), http (the HTTP plumbing), protocols
(what it answers), server (ModelServer).
"""

from .faults import Fault
from .protocols import embedding
from .records import DEFAULT_REPLY, TGI_MODEL_ID
from .server import ModelServer

__all__ = ["DEFAULT_REPLY", "TGI_MODEL_ID", "Fault", "ModelServer", "embedding"]
