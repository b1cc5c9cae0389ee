"""Retries, circuit breakers and fallback across a tier's models. Imports nothing from Django.

Retried: ModelUnavailable (5xx, loading, timeouts, connection errors) and a provider's 429,
waiting what the provider asked for (Retry-After, estimated_time) or else an exponential backoff
with jitter; never BadInput or ModelAuthError. A wait longer than the policy allows is not sat
out: the next model in the tier serves instead.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pybreaker
import tenacity

from meditrack.inference.errors import (
    BadInput,
    InferenceError,
    ModelUnavailable,
    RateLimited,
    StreamInterrupted,
)
from meditrack.inference.types import ModelSpec

T = TypeVar("T")


class CircuitOpen(ModelUnavailable):
    code = "circuit_open"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    budget_s: float = 20.0  # across all attempts on one model
    max_wait_s: float = 8.0  # the longest single wait worth sitting out
    breaker_fail_max: int = 5
    breaker_reset_s: float = 30.0


_breakers: dict[tuple, pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(spec: ModelSpec, policy: RetryPolicy) -> pybreaker.CircuitBreaker:
    # Keyed by where the model lives, so an admin's edit of the endpoint starts with a closed circuit.
    key = (spec.slug, spec.backend, spec.model_id, spec.base_url)
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = pybreaker.CircuitBreaker(
                fail_max=policy.breaker_fail_max, reset_timeout=policy.breaker_reset_s,
                exclude=[BadInput, RateLimited], throw_new_error_on_trip=False, name=spec.slug,
            )
        return _breakers[key]


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ModelUnavailable | RateLimited) and not isinstance(exc, CircuitOpen | StreamInterrupted)


def _stop(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], bool]:
    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.attempts or state.seconds_since_start >= policy.budget_s:
            return True
        asked = getattr(state.outcome.exception(), "retry_after", None)
        return asked is not None and (asked > policy.max_wait_s or state.seconds_since_start + asked > policy.budget_s)

    return stop


def _wait(policy: RetryPolicy) -> Callable[[tenacity.RetryCallState], float]:
    backoff = tenacity.wait_random_exponential(multiplier=0.25, max=policy.max_wait_s)

    def wait(state: tenacity.RetryCallState) -> float:
        asked = getattr(state.outcome.exception(), "retry_after", None)
        if asked is not None:
            return asked + random.uniform(0, 0.1 * asked + 0.05)
        return backoff(state)

    return wait


def call_with_retries(spec: ModelSpec, fn: Callable[[], T], policy: RetryPolicy,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    breaker = breaker_for(spec, policy)

    def guarded() -> T:
        try:
            return breaker.call(fn)
        except pybreaker.CircuitBreakerError:
            raise CircuitOpen("the circuit is open after repeated failures", model=spec.slug) from None

    retrying = tenacity.Retrying(retry=tenacity.retry_if_exception(_retryable), stop=_stop(policy),
                                 wait=_wait(policy), sleep=sleep, reraise=True)
    return retrying(guarded)


Report = Callable[[ModelSpec, str, float], None]


def first_that_serves(specs: list[ModelSpec], fn: Callable[[ModelSpec], T], policy: RetryPolicy,
                      report: Report) -> tuple[ModelSpec, T]:
    """Try each model in serving order; report (spec, outcome code, seconds) for every model tried.
    Bad input ends the search (no other model would take it either); anything else falls through."""
    failures: list[InferenceError] = []
    for spec in specs:
        started = time.perf_counter()
        try:
            result = call_with_retries(spec, lambda spec=spec: fn(spec), policy)
        except InferenceError as exc:
            report(spec, exc.code, time.perf_counter() - started)
            if isinstance(exc, BadInput):
                raise
            if exc.model is None:
                exc.model = spec.slug
            failures.append(exc)
            continue
        report(spec, "ok", time.perf_counter() - started)
        return spec, result
    if not failures:
        raise ModelUnavailable("No model is configured for this task.")
    first = failures[0]
    if len(failures) > 1:
        first.detail = f"{first.detail} (and {len(failures) - 1} fallback model(s) failed too)"
    raise first
