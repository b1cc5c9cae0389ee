"""Calling models: the one place that decides which model serves a user, and the only way in.

Every call: the tier's models in order (a requested model first, if the tier allows it), the
user's per-minute limit, retries and circuit breakers per model, fallback to the next, one JSON
log line and metrics per model tried. Nothing here logs a prompt or a reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.conf import settings
from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel

from meditrack.db import connection_released
from meditrack.errors import ApplicationError
from meditrack.inference import metrics
from meditrack.inference.backends import get_backend, runs_here
from meditrack.inference.chunking import mean_labels, mean_vectors, split_for_window
from meditrack.inference.errors import BadInput, InferenceError, ModelUnavailable, RateLimited, ServedElsewhere
from meditrack.inference.guards import parse_structured
from meditrack.inference.prompts import approx_tokens, fit_history
from meditrack.inference.resilience import RetryPolicy, first_that_serves
from meditrack.inference.selectors import TierPlan, tier_plan
from meditrack.inference.streaming import ChatStream, open_stream
from meditrack.inference.types import BackendName, ChatMessage, Label, ModelSpec, Speech, Task, Transcript

logger = logging.getLogger("meditrack.inference")
POLICY = RetryPolicy()
SENTIMENT_LABELS = frozenset({"negative", "neutral", "positive"})
_limiter: MovingWindowRateLimiter | None = None


def _rate_limiter() -> MovingWindowRateLimiter:
    global _limiter
    if _limiter is None:
        _limiter = MovingWindowRateLimiter(RedisStorage(settings.RATE_LIMIT_STORAGE_URL))
    return _limiter


def user_rate_limit_hit(*, user_id: int, plan: TierPlan) -> None:
    """Count one model call against the user's tier limit; RateLimited (with the wait) when over."""
    limit = RateLimitItemPerMinute(plan.requests_per_minute)
    limiter = _rate_limiter()
    if not limiter.hit(limit, "inference", str(user_id)):
        reset_at = limiter.get_window_stats(limit, "inference", str(user_id)).reset_time
        raise RateLimited("You have reached your tier's limit of model calls per minute.",
                          retry_after=max(1.0, round(reset_at - time.time(), 1)))


def model_specs(*, plan: TierPlan, task: Task, requested: str | None = None) -> list[ModelSpec]:
    """The models that may serve this tier and task, in the order they are tried."""
    specs = plan.specs.get(task, [])
    if requested:
        chosen = [s for s in specs if s.slug == requested]
        if not chosen:
            raise ApplicationError("Your tier may not use this model.", code="model_not_allowed", status_code=403)
        specs = chosen + [s for s in specs if s.slug != requested]
    if not specs:
        raise ModelUnavailable(f"No {task} model is available for the {plan.name} tier.")
    return specs


_NO_DEFAULT = object()


def queue_for(*, tier: str, task: Task, requested: str | None = None, default=_NO_DEFAULT) -> str:
    """The queue of the workers that run the model serving this tier and task first, so a task is sent
    where its model runs. With no model: `default` where the work has an answer without one, else
    ModelUnavailable (a 503) before anything is saved."""
    try:
        return model_specs(plan=tier_plan(name=tier), task=task, requested=requested)[0].queue
    except ModelUnavailable:
        if default is _NO_DEFAULT:
            raise
        return default


def _log_call(spec: ModelSpec, task: Task, outcome: str, seconds: float, **usage) -> None:
    metrics.CALLS.labels(spec.slug, spec.backend, task, outcome).inc()
    metrics.LATENCY.labels(spec.slug, task).observe(seconds)
    logger.info("model call", extra={"model": spec.slug, "backend": str(spec.backend), "task": str(task),
                                     "outcome": outcome, "latency_ms": round(seconds * 1000, 1), **usage})


def _report(task: Task) -> Callable[[ModelSpec, str, float], None]:
    def report(spec: ModelSpec, outcome: str, seconds: float) -> None:
        # A chat that started is logged once it ends, with its tokens (see _log_chat).
        if outcome != "ok" or task != Task.CHAT:
            _log_call(spec, task, outcome, seconds)
    return report


def _log_chat(stream: ChatStream, outcome: str) -> None:
    tokens_out = stream.tokens_out
    metrics.TOKENS.labels(stream.model, "in").inc(stream.tokens_in)
    metrics.TOKENS.labels(stream.model, "out").inc(tokens_out)
    _log_call(stream.spec, Task.CHAT, outcome, stream.duration_s, tokens_in=stream.tokens_in, tokens_out=tokens_out,
              finish_reason=stream.finish_reason, ttft_ms=round(stream.time_to_first_token_s * 1000, 1))


def _serve(*, tier: str | TierPlan, task: Task, user_id: int | None, requested: str | None, fn):
    plan = tier if isinstance(tier, TierPlan) else tier_plan(name=tier)
    if user_id is not None:
        user_rate_limit_hit(user_id=user_id, plan=plan)
    specs = model_specs(plan=plan, task=task, requested=requested)
    here = [spec for spec in specs if runs_here(spec)]
    elsewhere = next((spec for spec in specs if not runs_here(spec)), None)
    try:
        if here:
            with connection_released():
                return first_that_serves(here, fn, POLICY, _report(task))
    except InferenceError as exc:
        if elsewhere is None or isinstance(exc, BadInput):
            raise
    raise ServedElsewhere("a local model serves next; it runs on another worker", model=elsewhere.slug,
                          queue=elsewhere.queue)


def chat_stream(*, user, messages: list[ChatMessage], model: str | None = None,
                max_new_tokens: int | None = None) -> ChatStream:
    """Start a reply; the first piece has arrived when this returns (so failures fall back here).
    Iterate the result for the rest, or close() it to stop the model."""
    plan = tier_plan(name=user.tier)
    started = time.perf_counter()
    state = {}

    def start(spec: ModelSpec):
        # The tier bounds every reply; a model's own max_new_tokens parameter may bound it further.
        budget = min(max_new_tokens or plan.max_new_tokens, plan.max_new_tokens,
                     spec.params.get("max_new_tokens") or plan.max_new_tokens)
        backend = get_backend(spec.backend)
        counter = backend.token_counter(spec)
        fitted = fit_history(messages, context_window=spec.context_window, max_new_tokens=budget, count=counter)
        state.update(counter=counter, budget=budget,
                     tokens_in=sum((counter or approx_tokens)(m.content) for m in fitted))
        return open_stream(backend.chat(spec, fitted, max_new_tokens=budget))

    spec, (first, rest) = _serve(tier=plan, task=Task.CHAT, user_id=user.pk, requested=model, fn=start)
    return ChatStream(spec=spec, first=first, rest=rest, max_new_tokens=state["budget"], tokens_in=state["tokens_in"],
                      counter=state["counter"], started=started, on_finish=_log_chat)


@dataclass(frozen=True)
class ChatReply:
    text: str
    model: str
    finish_reason: str
    tokens_in: int
    tokens_out: int


def chat_complete(*, user, messages: list[ChatMessage], model: str | None = None,
                  max_new_tokens: int | None = None, deadline: float | None = None) -> ChatReply:
    """The whole reply. Past `deadline` (time.monotonic()) the model is stopped and the reply ends 'timeout'."""
    stream = chat_stream(user=user, messages=messages, model=model, max_new_tokens=max_new_tokens)
    if deadline is not None and time.monotonic() >= deadline:
        stream.close("timeout")
    for _ in stream:
        if deadline is not None and time.monotonic() >= deadline:
            stream.close("timeout")
            break
    return ChatReply(text=stream.text, model=stream.model, finish_reason=stream.finish_reason,
                     tokens_in=stream.tokens_in, tokens_out=stream.tokens_out)


@dataclass(frozen=True)
class StructuredAnswer:
    value: BaseModel
    model: str | None
    is_fallback: bool  # True: no model gave valid JSON; value came from the caller's fallback


JSON_REPAIR = ("Your previous answer could not be used: {problem}. Answer again with only a JSON object "
               "that matches this JSON schema, nothing else:\n{schema}")


def chat_json(*, user, messages: list[ChatMessage], schema: type[BaseModel],
              fallback: Callable[[], BaseModel], max_new_tokens: int | None = None,
              within_s: float | None = None) -> StructuredAnswer:
    """Ask for JSON matching the schema; re-ask once with what was wrong; else the fallback, marked.
    With `within_s` (someone is waiting for the answer), a model still writing then is stopped and the fallback
    answers: a slow model must not hold a user longer than its answer is worth."""
    deadline = time.monotonic() + within_s if within_s is not None else None
    conversation = list(messages)
    model = None
    for attempt in range(2):
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            reply = chat_complete(user=user, messages=conversation, max_new_tokens=max_new_tokens, deadline=deadline)
        except (ModelUnavailable, BadInput) as exc:
            logger.warning("structured answer fell back", extra={"reason": exc.code})
            break
        model = reply.model
        if reply.finish_reason == "timeout":
            logger.info("structured answer fell back", extra={"model": model, "reason": "timeout"})
            break
        try:
            return StructuredAnswer(value=parse_structured(reply.text, schema), model=model, is_fallback=False)
        except ValueError as exc:
            logger.info("structured answer invalid", extra={"model": model, "attempt": attempt + 1})
            conversation += [ChatMessage("assistant", reply.text),
                             ChatMessage("user", JSON_REPAIR.format(problem=exc, schema=schema.model_json_schema()))]
    return StructuredAnswer(value=fallback(), model=model, is_fallback=True)


def text_classify(*, tier: str, task: Task, texts: list[str], user_id: int | None = None
                  ) -> tuple[str, list[list[Label]]]:
    """One batched call: all labels with scores for each text, and the slug of the model that served.
    A text longer than the model's window is split and its parts' scores averaged by length, never cut."""
    spec, labels = _serve(tier=tier, task=task, user_id=user_id, requested=None,
                          fn=lambda spec: _classify_whole(spec, texts))
    return spec.slug, labels


def _classify_whole(spec: ModelSpec, texts: list[str]) -> list[list[Label]]:
    backend = get_backend(spec.backend)
    if spec.backend == BackendName.BUILTIN:
        return backend.classify(spec, texts)  # the analyser splits long texts itself
    chunks, owners, weights = _split_for(spec, backend, texts)
    # Some checkpoints name their classes LABEL_0, LABEL_1…: the registry's label_map says what they mean.
    names = {str(k): v for k, v in spec.params.get("label_map", {}).items()}
    rows = [[Label(names.get(label.label, label.label).lower(), label.score) for label in row]
            for row in backend.classify(spec, chunks)]
    if spec.task == Task.SENTIMENT and rows and not SENTIMENT_LABELS <= {label.label for label in rows[0]}:
        # Scores under other names would be saved as zeros: let the next model serve instead.
        raise ModelUnavailable("its labels are not negative/neutral/positive: set a label_map", model=spec.slug)
    return mean_labels(rows, owners=owners, weights=weights, count=len(texts))


def text_embed(*, tier: str, texts: list[str], user_id: int | None = None) -> tuple[str, list[list[float]]]:
    """One batched call: a unit vector for each text, and the slug of the model that served. A text longer than
    the model's window is split and its parts' vectors averaged by length, never cut. Where the model may not
    run (an io worker and a local model), the workers of its queue embed the texts while this thread waits."""
    try:
        spec, vectors = _serve(tier=tier, task=Task.EMBEDDING, user_id=user_id, requested=None,
                               fn=lambda spec: _embed_whole(spec, texts))
    except ServedElsewhere as exc:
        return _embedded_elsewhere(exc, tier=tier, texts=texts)
    return spec.slug, vectors


EMBED_ELSEWHERE_TIMEOUT_S = 30.0


def _embedded_elsewhere(exc: ServedElsewhere, *, tier: str, texts: list[str]) -> tuple[str, list[list[float]]]:
    from meditrack.inference.tasks import text_embed as embed_task

    with connection_released():  # nothing held while another worker does the work
        try:
            slug, vectors = embed_task.apply_async(args=[tier, texts], queue=exc.queue).get(
                timeout=EMBED_ELSEWHERE_TIMEOUT_S, disable_sync_subtasks=False)
        except Exception as error:  # the broker, the result backend or the other worker: none answered
            raise ModelUnavailable("the workers of the embedding model did not answer", model=exc.model) from error
    return slug, vectors


def _embed_whole(spec: ModelSpec, texts: list[str]) -> list[list[float]]:
    backend = get_backend(spec.backend)
    chunks, owners, weights = _split_for(spec, backend, texts)
    return mean_vectors(backend.embed(spec, chunks), owners=owners, weights=weights, count=len(texts))


def _split_for(spec: ModelSpec, backend, texts: list[str]) -> tuple[list[str], list[int], list[int]]:
    """The texts' chunks that fit the model's window, the text each belongs to, and their token counts."""
    count = backend.token_counter(spec)
    # Two positions go to the model's start and end markers; an estimate of the count keeps a margin.
    limit = spec.context_window - 2 if count else (spec.context_window - 2) * 3 // 4
    return split_for_window(texts, count_tokens=count or approx_tokens, max_tokens=limit)


def _with_params(spec: ModelSpec, **params) -> ModelSpec:
    """The spec with the caller's options (those given) over the registry's parameters."""
    given = {name: value for name, value in params.items() if value is not None}
    return replace(spec, params={**spec.params, **given}) if given else spec


def speech_transcribe(*, user, audio: bytes, language: str | None = None) -> tuple[str, Transcript]:
    """`language` (an ISO 639-1 code) overrides the model's own; None lets the model tell."""
    spec, transcript = _serve(
        tier=user.tier, task=Task.ASR, user_id=user.pk, requested=None,
        fn=lambda spec: get_backend(spec.backend).transcribe(_with_params(spec, language=language), audio))
    return spec.slug, transcript


def speech_synthesize(*, user, text: str, voice: str | None = None, speed: float | None = None
                      ) -> tuple[str, Speech]:
    """`voice` (a voice name the model knows) and `speed` (1.0 is the model's own pace) override the registry's."""
    spec, speech = _serve(
        tier=user.tier, task=Task.TTS, user_id=user.pk, requested=None,
        fn=lambda spec: get_backend(spec.backend).synthesize(_with_params(spec, voice=voice, speed=speed), text))
    return spec.slug, speech


def _silence_wav(seconds: float = 0.5, rate: int = 16000) -> bytes:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def model_probe(*, spec: ModelSpec) -> dict:
    """One tiny real request to this model alone (no retries, no fallback): latency or the error."""
    backend = get_backend(spec.backend)
    probes = {
        Task.CHAT: lambda: "".join(backend.chat(spec, [ChatMessage("user", "Say OK.")], max_new_tokens=8)),
        Task.EMBEDDING: lambda: backend.embed(spec, ["probe"]),
        Task.SENTIMENT: lambda: backend.classify(spec, ["I feel fine today."]),
        Task.EMOTION: lambda: backend.classify(spec, ["I feel fine today."]),
        Task.ASR: lambda: backend.transcribe(spec, _silence_wav()),
        Task.TTS: lambda: backend.synthesize(spec, "Test."),
    }
    started = time.perf_counter()
    try:
        probes[spec.task]()
    except Exception as exc:  # the operator wants to see any failure, not a crash page
        detail = str(exc) if hasattr(exc, "code") else type(exc).__name__
        return {"ok": False, "latency_ms": round((time.perf_counter() - started) * 1000, 1), "error": detail}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1), "error": None}
