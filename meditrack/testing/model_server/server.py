"""ModelServer: the loopback model server's lifecycle, settings and records (see the package docstring)."""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from . import protocols
from .faults import Fault, FaultScript
from .http import ClientGone, Handler, Hangup, LoopbackHTTPServer
from .records import (
    DEFAULT_EMBEDDING_DIM,
    DEFAULT_LABELS,
    DEFAULT_MODELS,
    DEFAULT_REPLY,
    TASKS,
    TEXT_GENERATION,
    ModelEntry,
    RecordedRequest,
    Reply,
)


class ModelServer(FaultScript):
    """Start with `start()` (or `with ModelServer() as server:`)."""

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
        self._httpd: LoopbackHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ModelServer:
        self._httpd = LoopbackHTTPServer(self)
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

    def reset(self) -> None:
        """Forget faults and records (not settings)."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            self._counts.clear()
            self._errors.clear()

    # -- records ---------------------------------------------------------------------------

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

    # -- called by the HTTP plumbing and the protocols -------------------------------------

    def record_error(self, error: str) -> None:
        """A bug in this server (a test fixture fails on any)."""
        with self._lock:
            self._errors.append(error)

    def notify(self) -> None:
        """A request changed state: wake `wait_for`."""
        with self._changed:
            self._changed.notify_all()

    def pause(self, seconds: float) -> None:
        """Sleep, unless the server stops meanwhile: then hang up."""
        if seconds > 0 and self._stopping.wait(seconds):
            raise Hangup

    def handle(self, h: Handler) -> None:
        record: RecordedRequest | None = None
        h.record = None  # the previous request's, on a kept-alive connection
        try:
            record = self._record(h)
            protocols.respond(self, h, record)
        except ClientGone:
            h.close_connection = True
            if record is not None:
                record.disconnected, record.finished = True, False
        except Hangup:
            h.close_connection = True
        except Exception:
            h.close_connection = True
            self.record_error(traceback.format_exc())
            try:
                h.send_json(500, {"error": "loopback model server bug, see server.errors"})
            except Exception:
                pass
        finally:
            self.notify()

    def _record(self, h: Handler) -> RecordedRequest:
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
        route, path_model = protocols.route(h.command, path)
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
            stream=protocols.is_stream(route, path_model, payload, self.models),
        )
        h.record = record
        with self._lock:
            self._requests.append(record)
            self._counts[path] += 1
        return record
