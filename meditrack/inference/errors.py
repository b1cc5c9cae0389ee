"""What goes wrong when calling a model, as callers see it: never a raw HTTP exception.

Imports nothing from Django. `status` is the HTTP status the API answers with.
"""

from __future__ import annotations

# Celery's own (celery.exceptions re-exports it), from its process pool package: no Celery app is imported here.
from billiard.exceptions import SoftTimeLimitExceeded


class InferenceError(Exception):
    code = "inference_error"
    status = 503

    def __init__(self, detail: str, *, model: str | None = None, retry_after: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.model = model
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.model}: {self.detail}" if self.model else self.detail


class ModelUnavailable(InferenceError):
    """5xx, a loading model (503 with estimated_time), connection refused, an open circuit,
    a malformed answer. Retried (honouring retry_after), then the next model is tried."""

    code = "model_unavailable"


class ModelTimeout(ModelUnavailable):
    code = "model_timeout"


class StreamInterrupted(ModelUnavailable):
    """The stream broke after some tokens were delivered: too late to retry or fall back."""

    code = "stream_interrupted"


class ModelAuthError(InferenceError):
    """401/403 from the provider: the operator's token is missing or wrong. Never retried."""

    code = "model_auth"


class BadInput(InferenceError):
    """400/404/413/422: the request itself is wrong for this model. Never retried."""

    code = "bad_input"
    status = 400


class RateLimited(InferenceError):
    """Too many requests: the user's tier limit, or the provider's 429 once retries are spent."""

    code = "rate_limited"
    status = 429


class ServedElsewhere(ModelUnavailable):
    """The next model to try is local, and this process is an io worker, which never loads one: the
    call belongs on the workers of `queue`, with `model` tried first."""

    code = "served_elsewhere"

    def __init__(self, detail: str, *, model: str, queue: str):
        super().__init__(detail, model=model)
        self.queue = queue


# What a backend lets through as it is: our own errors, and a task's time running out (Celery raises it into the
# task), which is no failure of the model's.
RAISED_AS_IS = (InferenceError, SoftTimeLimitExceeded)
