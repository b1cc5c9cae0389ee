"""The HTTP plumbing of the loopback model server: a threaded HTTP/1.1 server that tracks its connections so
`stop()` can hang up on them, and a handler that frames bodies and server-sent events."""

from __future__ import annotations

import json
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TYPE_CHECKING, Any

from .records import RecordedRequest

if TYPE_CHECKING:
    from .server import ModelServer


class ClientGone(Exception):
    """A write failed: the client went away first."""


class Hangup(Exception):
    """Close the connection now, mid-answer."""


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's 5 resets connections when dozens of clients connect at once
    block_on_close = False  # ModelServer.stop() joins the threads itself, with a deadline

    def __init__(self, owner: ModelServer):
        self.owner = owner
        self.threads: set[threading.Thread] = set()
        self.sockets: set[socket.socket] = set()
        self.track_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

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
            self.owner.record_error(traceback.format_exc())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "loopback-model-server"
    sys_version = ""
    server: LoopbackHTTPServer
    record: RecordedRequest | None = None

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.owner.handle(self)

    def do_POST(self) -> None:
        self.server.owner.handle(self)

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
            raise ClientGone from error

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
        except OSError as error:
            raise ClientGone from error
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
            raise ClientGone from error

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
