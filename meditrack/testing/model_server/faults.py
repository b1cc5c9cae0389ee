"""Faults a test scripts on the loopback model server: queued, and consumed one per request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from .records import TGI_MODEL_ID, RecordedRequest

FaultKind = Literal["status", "malformed", "delay", "cut", "stream_error"]
STREAM_FAULTS = frozenset({"cut", "stream_error"})
MALFORMED_BODY = b'{"loopback": "this JSON stops in the mid'


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

    def answer_body(self, record: RecordedRequest) -> Any:
        """What a status fault answers: its own body, else what a Hugging Face server says for the status."""
        if self.body is not None:
            return self.body
        model = record.model or TGI_MODEL_ID
        if self.status == 503:
            return {"error": f"Model {model} is currently loading", "estimated_time": self.estimated_time}
        if self.status == 429:
            return {"error": "Rate limit reached. Please retry later."}
        if self.status == 401:
            return {"error": "Invalid credentials in Authorization header"}
        if self.status == 404:
            return {"error": f"Model {model} does not exist"}
        try:
            return {"error": HTTPStatus(self.status).phrase}
        except ValueError:
            return {"error": f"HTTP {self.status}"}

    def answer_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.status == 429 and not any(name.lower() == "retry-after" for name in headers):
            headers["Retry-After"] = f"{self.retry_after:g}"
        return headers


class FaultScript:
    """The fault-scripting half of ModelServer: first matching fault wins (``path=`` exact path, ``model=``
    model id; stream faults wait for a streaming request); ``times=None`` means until cleared."""

    _lock: threading.Lock
    _faults: list[Fault]

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

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take_fault(self, record: RecordedRequest) -> Fault | None:
        """The first fault that matches this request, consumed once."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(record.path, record.model, record.stream, record.body):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
