"""A loopback stand-in for remote model servers, for tests. Pure stdlib; imports nothing from Django.

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
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import socket
import struct
import sys
import threading
import time
import traceback
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

DEFAULT_REPLY = "Hello! This is the loopback model."
DEFAULT_LABELS = ("POSITIVE", "NEGATIVE")
DEFAULT_EMBEDDING_DIM = 8
TGI_MODEL_ID = "meditrack/loopback-llm"
TTS_SAMPLE_RATE = 16000
MALFORMED_BODY = b'{"loopback": "this JSON stops in the mid'

# Tasks this server can answer on POST /models/<id>.
TEXT_GENERATION = "text-generation"
TEXT_CLASSIFICATION = "text-classification"
FEATURE_EXTRACTION = "feature-extraction"
ASR = "automatic-speech-recognition"
TTS = "text-to-speech"
TASKS = frozenset({TEXT_GENERATION, TEXT_CLASSIFICATION, FEATURE_EXTRACTION, ASR, TTS})

DEFAULT_MODELS = {
    TGI_MODEL_ID: TEXT_GENERATION,
    "meditrack/loopback-classifier": TEXT_CLASSIFICATION,
    "meditrack/loopback-embedder": FEATURE_EXTRACTION,
    "meditrack/loopback-asr": ASR,
    "meditrack/loopback-tts": TTS,
}

FaultKind = Literal["status", "malformed", "delay", "cut", "stream_error"]
STREAM_FAULTS = frozenset({"cut", "stream_error"})


@dataclass
class Fault:
    kind: FaultKind
    status: int = 500
    body: Any = None  # JSON-able, or bytes sent as is; None: a default body for the status
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0  # tokens streamed before a cut / an in-stream error
    message: str = "Model is overloaded"
    error_type: str = "overloaded"
    seconds: float = 0.0  # delay faults
    estimated_time: float = 2.0  # default 503 body
    retry_after: float = 1  # default 429 Retry-After
    path: str | None = None  # only requests to exactly this path
    model: str | None = None  # only requests for this model id
    times: int | None = 1  # None: every matching request until clear_faults()
    body_contains: bytes | None = None  # only requests whose body holds these bytes

    def matches(self, path: str, model: str | None, streaming: bool, body: bytes = b"") -> bool:
        if self.kind in STREAM_FAULTS and not streaming:
            return False
        if self.path is not None and self.path != path:
            return False
        if self.body_contains is not None and self.body_contains not in body:
            return False
        return self.model is None or self.model == model


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    json: Any  # None when the body is not JSON
    model: str | None  # from the path, else the body's "model", else None
    route: str = ""  # e.g. "chat", "models/chat", "generate_stream", "compat" (POST /), "models/task"
    stream: bool = False
    status: int | None = None
    fault: Fault | None = None
    # Both are updated just before the write they describe, so a client that has read something can
    # assert on them at once, without racing the server thread.
    tokens_sent: int = 0
    finished: bool = False  # the whole answer was written
    disconnected: bool = False  # a write failed: the client went away first

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class ModelEntry:
    task: str
    labels: tuple[str, ...] = DEFAULT_LABELS
    dim: int | None = None
    reply: Any = None  # as ModelServer.reply; None: the server's


Reply = str | list[str] | Callable[[RecordedRequest], str | list[str]]


class _ClientGone(Exception):
    pass


class _Hangup(Exception):
    """Close the connection now, mid-answer."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's 5 resets connections when dozens of clients connect at once
    block_on_close = False  # ModelServer.stop() joins the threads itself, with a deadline

    def __init__(self, owner: ModelServer):
        self.owner = owner
        self.threads: set[threading.Thread] = set()
        self.sockets: set[socket.socket] = set()
        self.track_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall without a network.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        # Like TGI, vLLM and uvicorn: without it, Nagle and delayed ACKs add ~40 ms to a reused connection.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="model-server-conn", daemon=True
        )
        with self.track_lock:
            self.threads = {t for t in self.threads if t.is_alive()}
            self.threads.add(thread)
            self.sockets.add(request)
        thread.start()

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.track_lock:
                self.sockets.discard(request)

    def handle_error(self, request, client_address) -> None:
        # The default prints to stderr; a client hanging up is normal here, anything else is our bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            self.owner._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "loopback-model-server"
    sys_version = ""
    server: _HTTPServer
    record: RecordedRequest | None = None

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def do_POST(self) -> None:
        self.server.owner._handle(self)

    # -- body ------------------------------------------------------------------------------

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- writing: every failure means the client is gone --------------------------------------

    def write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as error:
            raise _ClientGone from error

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
        except OSError as error:
            raise _ClientGone from error
        if self.record is not None:
            self.record.finished = True
        self.write(body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(payload).encode(), "application/json", headers)

    def start_stream(self) -> None:
        # Chunked, so a cut (connection closed before the last chunk) is a protocol error the client
        # sees, unlike an unframed body that would just look finished.
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        except OSError as error:
            raise _ClientGone from error

    def send_event(self, data: Any) -> None:
        text = data if isinstance(data, str | bytes) else json.dumps(data)
        raw = b"data: " + (text if isinstance(text, bytes) else text.encode()) + b"\n\n"
        self.write(b"%x\r\n%s\r\n" % (len(raw), raw))

    def end_stream(self, last_event: Any = None) -> None:
        if self.record is not None:
            self.record.finished = True
        if last_event is not None:
            self.send_event(last_event)
        self.write(b"0\r\n\r\n")


class ModelServer:
    """See the module docstring. Start with `start()` (or `with ModelServer() as server:`)."""

    def __init__(self) -> None:
        self.reply: Reply = DEFAULT_REPLY
        self.token_delay: float = 0.0
        self.first_byte_delay: float = 0.0
        self.required_token: str | None = None
        self.embedding_dim: int = DEFAULT_EMBEDDING_DIM
        self.models: dict[str, ModelEntry] = {model_id: ModelEntry(task) for model_id, task in DEFAULT_MODELS.items()}
        self._lock = threading.Lock()
        self._changed = threading.Condition()  # its own lock: predicates read records under _lock
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._counts: Counter[str] = Counter()
        self._errors: list[str] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._serve_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ModelServer:
        self._httpd = _HTTPServer(self)
        # A short poll interval keeps stop() (which waits for the loop to notice) fast.
        self._serve_thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="model-server", daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, hang up on every open connection, join every thread; raise if one lingers."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()  # wakes every delay
        deadline = time.monotonic() + timeout
        httpd.shutdown()
        self._serve_thread.join(timeout)
        with httpd.track_lock:
            sockets, threads = list(httpd.sockets), list(httpd.threads)
        for sock in sockets:
            # Wakes a thread blocked reading the next request of a kept-alive connection.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        httpd.server_close()
        self._httpd = None
        alive = [t for t in threads if t.is_alive()] + [t for t in [self._serve_thread] if t.is_alive()]
        if alive:
            raise RuntimeError(f"model server threads still running after stop(): {alive}")

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("model server not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def model_url(self, model_id: str) -> str:
        return f"{self.base_url}/models/{model_id}"

    # -- configuration ---------------------------------------------------------------------

    def register(
        self,
        model_id: str,
        task: str = TEXT_GENERATION,
        *,
        labels: list[str] | tuple[str, ...] | None = None,
        dim: int | None = None,
        reply: Reply | None = None,
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; one of {sorted(TASKS)}")
        self.models[model_id] = ModelEntry(task, tuple(labels or DEFAULT_LABELS), dim, reply)

    def add_fault(self, fault: Fault) -> Fault:
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be None (forever) or at least 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_next(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        times: int | None = 1,
        path: str | None = None,
        model: str | None = None,
    ) -> Fault:
        return self.add_fault(
            Fault("status", status=status, body=body, headers=dict(headers or {}), times=times, path=path, model=model)
        )

    def loading_next(
        self, estimated_time: float = 2.0, *, times: int | None = 1, path: str | None = None, model: str | None = None
    ) -> Fault:
        return self.add_fault(
            Fault("status", status=503, estimated_time=estimated_time, times=times, path=path, model=model)
        )

    def rate_limit_next(
        self, retry_after: float = 1, *, times: int | None = 1, path: str | None = None, model: str | None = None
    ) -> Fault:
        return self.add_fault(Fault("status", status=429, retry_after=retry_after, times=times, path=path, model=model))

    def malformed_next(self, *, times: int | None = 1, path: str | None = None, model: str | None = None) -> Fault:
        return self.add_fault(Fault("malformed", status=200, times=times, path=path, model=model))

    def delay_next(
        self, seconds: float, *, times: int | None = 1, path: str | None = None, model: str | None = None
    ) -> Fault:
        return self.add_fault(Fault("delay", seconds=seconds, times=times, path=path, model=model))

    def cut_stream_after(
        self, n: int, *, times: int | None = 1, path: str | None = None, model: str | None = None
    ) -> Fault:
        return self.add_fault(Fault("cut", after=n, times=times, path=path, model=model))

    def error_in_stream_after(
        self,
        n: int,
        message: str = "Model is overloaded",
        error_type: str = "overloaded",
        *,
        times: int | None = 1,
        path: str | None = None,
        model: str | None = None,
    ) -> Fault:
        return self.add_fault(
            Fault("stream_error", after=n, message=message, error_type=error_type, times=times, path=path, model=model)
        )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget faults and records (not settings)."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            self._counts.clear()
            self._errors.clear()

    # -- records ---------------------------------------------------------------------------

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    @property
    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts[path]

    @property
    def disconnects(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if r.disconnected]

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    def wait_for(self, predicate: Callable[[ModelServer], bool], timeout: float = 2.0) -> bool:
        """Wait until predicate(server) holds (re-checked whenever a request changes state)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                # Capped: a notify landing between the check and the wait is not lost for long.
                self._changed.wait(min(remaining, 0.05))
        return True

    def wait_for_disconnect(self, timeout: float = 2.0) -> bool:
        """The server only learns a client left when a write fails, i.e. at its next token."""
        return self.wait_for(lambda server: bool(server.disconnects), timeout)

    def _record_error(self, error: str) -> None:
        with self._lock:
            self._errors.append(error)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    # -- request handling ------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        record: RecordedRequest | None = None
        h.record = None  # the previous request's, on a kept-alive connection
        try:
            record = self._record(h)
            self._respond(h, record)
        except _ClientGone:
            h.close_connection = True
            if record is not None:
                record.disconnected, record.finished = True, False
        except _Hangup:
            h.close_connection = True
        except Exception:
            h.close_connection = True
            self._record_error(traceback.format_exc())
            try:
                h.send_json(500, {"error": "loopback model server bug, see server.errors"})
            except Exception:
                pass
        finally:
            self._notify()

    def _record(self, h: _Handler) -> RecordedRequest:
        url = urlsplit(h.path)
        body = h.read_body()
        headers: dict[str, str] = {}
        for name, value in h.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        payload = None
        content_type = headers.get("content-type", "")
        if body and ("json" in content_type or (not content_type and body[:1] in (b"{", b"["))):
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
        path = url.path or "/"
        route, path_model = _route(h.command, path)
        model = path_model
        if model is None and isinstance(payload, dict) and isinstance(payload.get("model"), str):
            model = payload["model"]
        record = RecordedRequest(
            method=h.command,
            path=path,
            query=parse_qs(url.query),
            headers=headers,
            body=body,
            json=payload,
            model=model,
            route=route,
            stream=_is_stream(route, path_model, payload, self.models),
        )
        h.record = record
        with self._lock:
            self._requests.append(record)
            self._counts[path] += 1
        return record

    def _take_fault(self, record: RecordedRequest) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(record.path, record.model, record.stream, record.body):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Hangup

    def _respond(self, h: _Handler, record: RecordedRequest) -> None:
        self._sleep(self.first_byte_delay)
        if self.required_token is not None and record.authorization != f"Bearer {self.required_token}":
            return self._error(h, record, 401, {"error": "Invalid credentials in Authorization header"})

        fault = self._take_fault(record)
        record.fault = fault
        if fault is not None and fault.kind == "delay":
            self._sleep(fault.seconds)
            fault = None
        if fault is not None and fault.kind == "status":
            return self._error(h, record, fault.status, self._fault_body(fault, record), self._fault_headers(fault))
        if fault is not None and fault.kind == "malformed":
            record.status = 200
            if record.stream:
                h.start_stream()
                return h.end_stream(MALFORMED_BODY)
            return h.send_body(200, MALFORMED_BODY, "application/json")

        route, model_id = record.route, record.model
        if route == "not_found":
            return self._error(h, record, 404, {"error": "Not Found"})
        if route == "list_models":
            return self._ok(h, record, {"object": "list", "data": [_model_card(m) for m in self.models]})

        # Only ids in the path must be registered: like TGI, the body's model is whatever the client says.
        entry = self.models.get(model_id) if model_id is not None else None
        if route.startswith("models/") and entry is None:
            return self._error(h, record, 404, {"error": f"Model {model_id} does not exist"})
        if route.endswith("health"):
            record.status = 200
            return h.send_body(200, b"", "application/json")
        if route.endswith("info"):
            return self._ok(h, record, _tgi_info(model_id if entry else TGI_MODEL_ID, entry))
        if route.endswith("chat"):
            if entry is not None and entry.task != TEXT_GENERATION:
                return self._error(
                    h, record, 400, {"error": f"Model {model_id} does not support chat completion (it is {entry.task})"}
                )
            return self._chat(h, record, entry, fault)
        if route.endswith(("generate", "generate_stream", "compat")):
            if entry is not None and entry.task != TEXT_GENERATION:
                return self._error(h, record, 400, {"error": f"Model {model_id} does not support text generation"})
            return self._generate(h, record, entry, fault, list_output=route == "compat")
        if entry.task == TEXT_GENERATION:
            # The serverless API answers a text-generation model like TGI's "/": a list unless streaming.
            return self._generate(h, record, entry, fault, list_output=True)
        return self._task(h, record, entry)

    def _ok(self, h: _Handler, record: RecordedRequest, payload: Any) -> None:
        record.status = 200
        h.send_json(200, payload)

    def _error(
        self, h: _Handler, record: RecordedRequest, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        record.status = status
        headers = dict(headers or {})
        content_type = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
        if isinstance(body, bytes):
            return h.send_body(status, body, content_type or "text/plain; charset=utf-8", headers)
        h.send_body(status, json.dumps(body).encode(), content_type or "application/json", headers)

    def _fault_body(self, fault: Fault, record: RecordedRequest) -> Any:
        if fault.body is not None:
            return fault.body
        model = record.model or TGI_MODEL_ID
        if fault.status == 503:
            return {"error": f"Model {model} is currently loading", "estimated_time": fault.estimated_time}
        if fault.status == 429:
            return {"error": "Rate limit reached. Please retry later."}
        if fault.status == 401:
            return {"error": "Invalid credentials in Authorization header"}
        if fault.status == 404:
            return {"error": f"Model {model} does not exist"}
        try:
            return {"error": HTTPStatus(fault.status).phrase}
        except ValueError:
            return {"error": f"HTTP {fault.status}"}

    def _fault_headers(self, fault: Fault) -> dict[str, str]:
        headers = dict(fault.headers)
        if fault.status == 429 and not any(name.lower() == "retry-after" for name in headers):
            headers["Retry-After"] = f"{fault.retry_after:g}"
        return headers

    # -- generation ------------------------------------------------------------------------

    def _tokens(self, record: RecordedRequest, entry: ModelEntry | None) -> list[str]:
        reply = entry.reply if entry is not None and entry.reply is not None else self.reply
        if callable(reply):
            reply = reply(record)
        if isinstance(reply, str):
            return re.findall(r"\s*\S+", reply)
        return list(reply)

    def _stream(
        self,
        h: _Handler,
        record: RecordedRequest,
        tokens: list[str],
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
                    raise _Hangup
                return h.end_stream({"error": fault.message, "error_type": fault.error_type})
            if i == len(tokens):
                break
            self._sleep(self.token_delay)
            record.tokens_sent += 1
            if i == len(tokens) - 1 and tail is None:
                return h.end_stream(event(i))
            try:
                h.send_event(event(i))
            except _ClientGone:
                record.tokens_sent -= 1
                raise
            self._notify()
        h.end_stream(tail)

    def _chat(self, h: _Handler, record: RecordedRequest, entry: ModelEntry | None, fault: Fault | None) -> None:
        body = record.json if isinstance(record.json, dict) else {}
        limit = body.get("max_tokens", body.get("max_completion_tokens"))
        all_tokens = self._tokens(record, entry)
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
            return self._ok(
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

        self._stream(h, record, pieces, fault, event, cut_limit=len(pieces), tail="[DONE]")

    def _generate(
        self, h: _Handler, record: RecordedRequest, entry: ModelEntry | None, fault: Fault | None, list_output: bool
    ) -> None:
        body = record.json if isinstance(record.json, dict) else {}
        parameters = body.get("parameters") or {}
        limit = parameters.get("max_new_tokens")
        if isinstance(limit, int) and limit < 1:
            # What TGI answers; with error_type the client raises its ValidationError.
            error = "Input validation error: `max_new_tokens` must be strictly positive"
            return self._error(h, record, 422, {"error": error, "error_type": "validation"})
        all_tokens = self._tokens(record, entry)
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
            return self._ok(h, record, [output] if list_output else output)

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
        self._stream(h, record, pieces, fault, event, cut_limit=len(pieces) - 1, tail=None)

    def _task(self, h: _Handler, record: RecordedRequest, entry: ModelEntry) -> None:
        body = record.json if isinstance(record.json, dict) else {}
        inputs = body.get("inputs")
        parameters = body.get("parameters") or {}
        if entry.task == TEXT_CLASSIFICATION:
            texts = inputs if isinstance(inputs, list) else [inputs]
            top_k = parameters.get("top_k")
            return self._ok(h, record, [_classify(str(t), entry.labels, top_k) for t in texts])
        if entry.task == FEATURE_EXTRACTION:
            texts = inputs if isinstance(inputs, list) else [inputs]
            dim = entry.dim or self.embedding_dim
            return self._ok(h, record, [_embed(str(t), dim) for t in texts])
        if entry.task == ASR:
            return self._ok(h, record, {"text": "".join(self._tokens(record, entry)).strip(), "chunks": None})
        if entry.task == TTS:
            record.status = 200
            return h.send_body(200, tiny_wav(), "audio/wav")
        raise AssertionError(f"unhandled task {entry.task}")


# -- helpers ----------------------------------------------------------------------------------


def _route(method: str, path: str) -> tuple[str, str | None]:
    """(route, model id from the path). Routes under /models/<id> are prefixed "models/"."""
    if path.startswith("/models/"):
        rest = path[len("/models/") :].rstrip("/")
        for suffix, route, wanted in (
            ("/v1/chat/completions", "models/chat", "POST"),
            ("/generate_stream", "models/generate_stream", "POST"),
            ("/generate", "models/generate", "POST"),
            ("/info", "models/info", "GET"),
            ("/health", "models/health", "GET"),
        ):
            if rest.endswith(suffix) and method == wanted:
                return route, rest[: -len(suffix)]
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


def _is_stream(route: str, path_model: str | None, payload: Any, models: dict[str, ModelEntry]) -> bool:
    if route.endswith("generate_stream"):
        return True
    wants = isinstance(payload, dict) and payload.get("stream") is True
    if route.endswith(("chat", "compat")):
        return wants
    if route == "models/task":
        entry = models.get(path_model)
        return wants and entry is not None and entry.task == TEXT_GENERATION
    return False


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


def _embed(text: str, dim: int) -> list[float]:
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
