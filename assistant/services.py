"""Chat sessions and replies. A reply is written by a Celery task into a Redis Stream (see
streams.py) that the websocket, SSE and plain-HTTP readers all tail: one streaming path."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import markdown
import nh3
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from redis.exceptions import RedisError

from assistant import grounding, selectors, streams
from assistant.models import ChatSession, Message
from assistant.retrieval import passages_search
from journal.selectors import mood_recent
from meditrack.accounts.models import User
from meditrack.enqueue import enqueue
from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import InferenceError, ServedElsewhere, StreamInterrupted
from meditrack.inference.prompts import approx_tokens
from meditrack.inference.selectors import tier_plan
from meditrack.inference.types import ChatMessage, ModelSpec, Task
from meditrack.patients.models import Patient
from meditrack.patients.selectors import patient_get
from meditrack.redis_clients import sync_client

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 8000
SYSTEM_PROMPT = (
    "You are MediTrack's assistant, helping a person look after their health. Be warm, clear and brief. "
    "You are not a doctor: do not diagnose; suggest talking to their clinician for anything medical, and "
    "urge emergency services when someone may be in danger."
)
# More passages than the prompt takes: the irrelevant ones are dropped, and a question about the last weeks
# finds more of those weeks among the candidates.
RETRIEVED_PASSAGES = 30
UNCHANGED = object()


# Formatting only: nothing that loads from elsewhere (img, media, frames, styles), so a prompt-injected
# reply cannot carry the conversation to an outside server when it is shown.
MARKDOWN_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "code", "pre",
                 "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td"}
MARKDOWN_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """The model's Markdown as HTML safe to put in a page, cleaned by nh3 to ``MARKDOWN_TAGS``."""
    html = markdown.markdown(text, extensions=["fenced_code", "sane_lists"])
    return nh3.clean(html, tags=MARKDOWN_TAGS, attributes=MARKDOWN_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def _check_model(*, owner, model: str) -> None:
    if model:
        inference.queue_for(tier=owner.tier, task=Task.CHAT, requested=model)


def _patient_for(*, owner, patient_id: str | None) -> Patient | None:
    """The patient a clinician's chat is about: one assigned to them, else a 404 (as for one that does not exist)."""
    if patient_id is None:
        return None
    if owner.role != User.Role.CLINICIAN:
        raise Http404("No such patient.")
    return patient_get(user=owner, patient_id=patient_id)


def session_create(*, owner, title: str = "", model: str = "", grounded: bool = True,
                   patient_id: str | None = None) -> ChatSession:
    _check_model(owner=owner, model=model)
    return ChatSession.objects.create(owner=owner, title=title.strip()[:120], model=model, grounded=grounded,
                                      patient=_patient_for(owner=owner, patient_id=patient_id))


def session_update(*, session: ChatSession, title: str | None = None, model: str | None = None,
                   grounded: bool | None = None, patient_id=UNCHANGED) -> ChatSession:
    """Only the fields asked for change (a title set meanwhile by the first message must survive); patient_id
    None ends a chat's being about a patient."""
    changed = ["updated_at"]
    if model is not None:
        _check_model(owner=session.owner, model=model)
        session.model = model
        changed.append("model")
    if title is not None:
        session.title = title.strip()[:120]
        changed.append("title")
    if grounded is not None:
        session.grounded = grounded
        changed.append("grounded")
    if patient_id is not UNCHANGED:
        session.patient = _patient_for(owner=session.owner, patient_id=patient_id)
        changed.append("patient")
    session.save(update_fields=changed)
    return session


def session_default(*, owner) -> ChatSession:
    """The session older clients talk to: the most recent one, or a new one. A new one is not grounded: those
    clients read a plain-text stream, which carries neither citations nor a draft's checked replacement."""
    return owner.chat_sessions.first() or session_create(owner=owner, grounded=False)


def session_reset(*, session: ChatSession) -> ChatSession:
    session.context_reset_at = timezone.now()
    session.save(update_fields=["context_reset_at", "updated_at"])
    return session


def _title_from(content: str) -> str:
    first_line = content.strip().splitlines()[0]
    return first_line if len(first_line) <= 60 else first_line[:57].rsplit(" ", 1)[0] + "…"


def _reply_queue(*, session: ChatSession) -> str:
    # Read before anything is saved: a model the tier no longer allows (or none at all) leaves nothing behind.
    return inference.queue_for(tier=session.owner.tier, task=Task.CHAT, requested=session.model or None)


def _enqueue(reply: Message, *, queue: str, undo) -> None:
    from assistant.tasks import generate_reply

    enqueue(generate_reply, queue=queue, args=(reply.pk,), undo=undo)


def message_send(*, session: ChatSession, content: str, client_id: uuid.UUID | None = None) -> Message:
    """Save the user's message and an empty reply, and queue the reply's generation once both are
    committed. The same client_id twice returns the first reply: a resend is not a new question."""
    content = (content or "").strip()
    if not content:
        raise ApplicationError("Write a message first.", fields={"content": ["This field may not be blank."]})
    if len(content) > MAX_MESSAGE_CHARS:
        raise ApplicationError(f"Messages are limited to {MAX_MESSAGE_CHARS} characters.", code="too_long",
                               fields={"content": [f"At most {MAX_MESSAGE_CHARS} characters."]})
    with transaction.atomic():
        session = ChatSession.objects.select_for_update(of=("self",)).select_related("owner").get(pk=session.pk)
        if client_id is not None:
            sent = session.messages.filter(client_id=client_id).first()
            if sent is not None:
                return sent.replies.order_by("-id").first()
        if session.messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING).exists():
            raise ApplicationError("A reply is still being written: stop it or wait for it.", code="busy",
                                   status_code=409)
        queue = _reply_queue(session=session)
        question = session.messages.create(role=Message.Role.USER, content=content, client_id=client_id)
        reply = session.messages.create(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING,
                                        reply_to=question)
        if not session.title:
            session.title = _title_from(content)
        session.save(update_fields=["title", "updated_at"])
        # Unsent, the question goes too: the user asks again, and the session is not left busy.
        _enqueue(reply, queue=queue, undo=lambda: Message.objects.filter(pk__in=[question.pk, reply.pk]).delete())
    return reply


def message_regenerate(*, session: ChatSession) -> Message:
    """Write the last answer again: the old one is replaced by a new reply to the same question."""
    with transaction.atomic():
        session = ChatSession.objects.select_for_update(of=("self",)).select_related("owner").get(pk=session.pk)
        last = session.messages.filter(role=Message.Role.ASSISTANT).order_by("-id").first()
        if last is None or last.reply_to is None:
            raise ApplicationError("There is no answer to regenerate yet.", code="nothing_to_regenerate",
                                   status_code=409)
        if last.status == Message.Status.STREAMING:
            raise ApplicationError("A reply is still being written: stop it or wait for it.", code="busy",
                                   status_code=409)
        queue = _reply_queue(session=session)
        reply = session.messages.create(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING,
                                        reply_to=last.reply_to)
        last.delete()
        _enqueue(reply, queue=queue, undo=lambda: Message.objects.filter(pk=reply.pk).update(
            status=Message.Status.ERROR, error_code="not_queued"))
    return reply


def message_stop(*, session: ChatSession) -> Message | None:
    """Ask the task writing this session's reply to stop; it keeps the text so far, as cancelled."""
    reply = selectors.reply_streaming(session=session)
    if reply is not None:
        streams.request_cancel(sync_client(), reply.pk)
    return reply


def history_for(reply: Message, *, system: str = SYSTEM_PROMPT) -> list[ChatMessage]:
    """What the model sees: the system prompt, the turns since the last reset, and always the
    question this reply answers (a regenerated answer's question may predate the reset)."""
    session = reply.session
    turns = session.messages.filter(id__lt=reply.id).exclude(status__in=[Message.Status.STREAMING,
                                                                          Message.Status.ERROR])
    if session.context_reset_at:
        turns = turns.filter(created_at__gte=session.context_reset_at)
    turns = list(turns.exclude(role=Message.Role.ASSISTANT, content=""))
    if reply.reply_to is not None and reply.reply_to not in turns:
        turns = [m for m in turns if m.id < reply.reply_to_id] + [reply.reply_to]
    return [ChatMessage("system", system)] + [
        ChatMessage(m.role, grounding.citations_strip(m.content) if session.grounded else m.content) for m in turns]


@dataclass(frozen=True)
class GroundedPrompt:
    question: str
    sources: list[grounding.Source]
    system: str
    today: date


def _prompt_room(*, owner, model: str | None) -> tuple[int, int]:
    """The smallest context window among the models that may write the reply, and the most it may write."""
    plan = tier_plan(name=owner.tier)
    try:
        specs = inference.model_specs(plan=plan, task=Task.CHAT, requested=model)
    except (ApplicationError, InferenceError):
        return ModelSpec.context_window, plan.max_new_tokens  # the model call answers with that error
    return min(s.context_window for s in specs), plan.max_new_tokens


def grounded_prompt(reply: Message, *, model: str | None) -> GroundedPrompt:
    """Retrieve the sources of the question this reply answers and write the system context around them. Runs
    before the model is called: the model call releases the database connection."""
    session = reply.session
    owner = session.owner
    question = reply.reply_to.content if reply.reply_to is not None else ""
    mood = grounding.mood_context(mood_recent(owner_id=owner.pk))
    window, max_new_tokens = _prompt_room(owner=owner, model=model)
    fixed = sum(approx_tokens(text) for text in (SYSTEM_PROMPT, grounding.INSTRUCTIONS, mood, question))
    budget = grounding.sources_budget(context_window=window, max_new_tokens=max_new_tokens, fixed_tokens=fixed)
    today = timezone.localdate(timezone=ZoneInfo(owner.time_zone))
    passages = passages_search(user=owner, query=question, k=RETRIEVED_PASSAGES, patient_id=session.patient_id)
    sources = grounding.sources_number(passages, question=question, budget=budget, today=today)
    return GroundedPrompt(question=question, sources=sources, today=today,
                          system=grounding.system_context(base=SYSTEM_PROMPT, sources=sources, mood=mood))


def _answer_check(reply: Message, prompt: GroundedPrompt, draft: str) -> grounding.Checked:
    checked = grounding.answer_check(draft, question=prompt.question, sources=prompt.sources, today=prompt.today)
    # Numbers and codes only: the draft and the sources are the user's health records.
    logger.info("grounded answer", extra={
        "message_id": reply.pk, "grounding": str(checked.grounding), "sources": len(prompt.sources),
        "cited": [c["n"] for c in checked.citations], "removed_citations": checked.removed,
        "problems": checked.problems})
    return checked


def _finish(reply: Message, writer: streams.StreamWriter, *, status: str, content: str, stream=None,
            error: InferenceError | None = None, error_code: str = "", detail: str = "",
            checked: grounding.Checked | None = None) -> None:
    """Save the reply, then tell the readers: a reader that sees the end can trust the database. A grounded
    reply is saved and announced as checked, whatever its draft streamed."""
    code = error.code if error is not None else error_code
    fields = {"status": status, "content": content, "error_code": code}
    if checked is not None:
        fields.update(content=checked.content, citations=checked.citations, grounding=str(checked.grounding))
    if stream is not None:
        fields.update(model=stream.model, finish_reason=stream.finish_reason or "", tokens_in=stream.tokens_in,
                      tokens_out=stream.tokens_out, time_to_first_token_ms=stream.time_to_first_token_s * 1000,
                      duration_ms=(stream.duration_s or 0) * 1000)
    # Only a reply still streaming is finished here: the sweeper may have given up on it already.
    Message.objects.filter(pk=reply.pk, status=Message.Status.STREAMING).update(**fields)
    # A Redis that restarts is back within seconds: the end is announced then, or a reader that resumes the
    # reply would wait for it until the stream's reader gives up (15 minutes).
    give_up_at, wait_s = time.monotonic() + settings.CHAT_END_ANNOUNCE_RETRY_S, 0.5
    while True:
        try:
            _announce(reply, writer, status=status, code=code, fields=fields, error=error, detail=detail)
            return
        except RedisError as exc:  # the reply is saved: a reader that reloads finds it
            if time.monotonic() + wait_s > give_up_at:
                logger.error("reply end unannounced", extra={"message_id": reply.pk, "error": type(exc).__name__})
                return
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, 5)


def _announce(reply: Message, writer: streams.StreamWriter, *, status: str, code: str, fields: dict,
              error: InferenceError | None, detail: str) -> None:
    if status in (Message.Status.COMPLETE, Message.Status.CANCELLED, Message.Status.CUT):
        usage = {"tokens_in": fields.get("tokens_in"), "tokens_out": fields.get("tokens_out"),
                 "time_to_first_token_ms": fields.get("time_to_first_token_ms"),
                 "duration_ms": fields.get("duration_ms")}
        writer.finish("done", {"message_id": reply.pk, "status": status, "content": fields["content"],
                               "html": render_markdown(fields["content"]), "citations": fields.get("citations", []),
                               "grounding": fields.get("grounding", ""), "usage": usage,
                               "model": fields.get("model", ""), "finish_reason": fields.get("finish_reason") or status,
                               "error": code or None})
    else:
        payload = {"message_id": reply.pk, "code": code, "detail": detail or (error.detail if error else "")}
        if error is not None and error.retry_after is not None:
            payload["retry_after"] = error.retry_after
        writer.finish("error", payload)


def reply_generate(*, message_id: int, model: str | None = None) -> None:
    """The body of the generate_reply task. Idempotent: a reply already finished is left alone, and a
    reply whose earlier run died mid-way is closed as an error rather than written twice. `model`
    is tried first (a hand-over from an io worker to a local model's workers). A grounded session's reply is
    written from retrieved sources and checked against them before it is saved."""
    # Kept by the task itself: the GPU's solo pool enforces no time limit.
    deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT
    reply = Message.objects.select_related("session__owner", "reply_to").filter(
        pk=message_id, status=Message.Status.STREAMING).first()
    if reply is None:
        if not Message.objects.filter(pk=message_id).exists():
            # Deleted before its task ran (its chat was): the readers waiting on its stream must still hear an end.
            streams.StreamWriter(sync_client(), message_id).finish("error", {
                "message_id": message_id, "code": "not_found", "detail": "The reply no longer exists."})
        return
    r = sync_client()
    writer = streams.StreamWriter(r, message_id)
    if not r.set(streams.started_key(message_id), 1, nx=True, ex=streams.STREAM_TTL_S):
        _finish(reply, writer, status=Message.Status.ERROR, content=writer.text_so_far(), error_code="interrupted",
                detail="The reply was interrupted. Regenerate it to try again.")
        return
    if r.exists(streams.cancel_key(message_id)):
        _finish(reply, writer, status=Message.Status.CANCELLED, content="")
        return
    session = reply.session
    prompt = grounded_prompt(reply, model=model or session.model or None) if session.grounded else None
    if prompt is not None and not prompt.sources:
        # Nothing to answer from: saying so needs no model, and a model would answer from nowhere.
        _finish(reply, writer, status=Message.Status.COMPLETE, content="", checked=grounding.nothing_found())
        return
    history = history_for(reply, system=prompt.system if prompt else SYSTEM_PROMPT)
    try:
        stream = inference.chat_stream(user=session.owner, messages=history, model=model or session.model or None)
    except ServedElsewhere as exc:
        from assistant.tasks import generate_reply

        r.delete(streams.started_key(message_id))  # not started: the next run may
        generate_reply.apply_async(args=[message_id], kwargs={"model": exc.model}, queue=exc.queue)
        return
    except InferenceError as exc:
        if prompt is not None:  # the sources were found: the user still gets what they say, quoted
            _finish(reply, writer, status=Message.Status.COMPLETE, content="", error=exc,
                    checked=_answer_check(reply, prompt, ""))
        else:
            _finish(reply, writer, status=Message.Status.ERROR, content="", error=exc)
        return
    except ApplicationError as exc:
        _finish(reply, writer, status=Message.Status.ERROR, content="", error_code=exc.code, detail=exc.detail)
        return
    status, error = Message.Status.COMPLETE, None
    try:
        for piece in stream:
            writer.add(piece)
            if writer.cancelled:
                stream.close()
                break
            if time.monotonic() > deadline:
                raise SoftTimeLimitExceeded
    except StreamInterrupted as exc:
        status, error = Message.Status.CUT, exc
    except SoftTimeLimitExceeded:
        stream.close(reason="timeout")
        status, error = Message.Status.CUT, StreamInterrupted("the reply took too long", model=stream.model)
    except RedisError as exc:
        # No reader can follow the reply any more: the model stops writing, and what it wrote is kept.
        logger.error("reply stream unwritable", extra={"message_id": message_id, "error": type(exc).__name__})
        stream.close(reason="stream_failed")
        _finish(reply, writer, status=Message.Status.ERROR, content=stream.text, stream=stream,
                error_code="stream_failed", detail="The reply could not be streamed. Reload to see what was written.")
        return
    if stream.finish_reason == "cancelled":
        status = Message.Status.CANCELLED
    # A draft stopped before its first word has nothing to check; any other is never shown unchecked.
    checked = _answer_check(reply, prompt, stream.text) if prompt is not None and stream.text.strip() else None
    _finish(reply, writer, status=status, content=stream.text, stream=stream, error=error, checked=checked)


def stuck_replies_sweep(*, older_than: timedelta) -> int:
    """Replies still 'streaming' long after any task could be writing them end as errors."""
    swept = 0
    cutoff = timezone.now() - older_than
    for reply in Message.objects.filter(status=Message.Status.STREAMING, created_at__lt=cutoff):
        writer = streams.StreamWriter(sync_client(), reply.pk)
        updated = Message.objects.filter(pk=reply.pk, status=Message.Status.STREAMING).update(
            status=Message.Status.ERROR, error_code="timeout", content=writer.text_so_far())
        if updated:
            writer.finish("error", {"message_id": reply.pk, "code": "timeout",
                                    "detail": "The reply took too long and was stopped."})
            swept += 1
    if swept:
        logger.warning("swept stuck replies", extra={"count": swept})
    return swept
