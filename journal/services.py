"""Journal writes and business logic: entries, their batched analysis, crisis language announced, and insights."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, time, timedelta
from time import time_ns
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from journal import selectors
from journal.insights.comprehensive import comprehensive
from journal.insights.crisis import crisis_language
from journal.insights.entries import EntryFacts
from journal.insights.predictive import predictive
from journal.insights.profile import DISCLAIMER, ProfileSchema, fallback_profile, profile_citations_valid
from journal.models import MAX_ENTRY_BYTES, EntryAnalysis, JournalEntry
from journal.signals import crisis_language_written, entry_saved
from meditrack.accounts.models import User
from meditrack.accounts.services import user_notify
from meditrack.dateranges import EARLIEST_DATE
from meditrack.enqueue import enqueue
from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import BadInput, InferenceError, ModelUnavailable
from meditrack.inference.selectors import tier_plan
from meditrack.inference.types import ChatMessage, Task
from meditrack.redis_clients import sync_client
from speech import services as speech
from speech.models import AudioClip

logger = logging.getLogger("meditrack.journal")

# Bumped when the way entries are analysed changes, so `analyze_journal --stale` redoes older analyses.
ANALYSIS_VERSION = "2026.11-2"
ANALYSIS_BATCH = 64
ANALYSIS_BATCH_CHARS = 200_000
# A worker's claim on a batch; past it, another worker may take the entries (the first one died).
ANALYSIS_LEASE = timedelta(minutes=10)
# Runs that may die holding one entry (after the first, it is tried alone) before it is marked failed.
MAX_LOST_RUNS = 3
LOST_RUNS_TTL_S = 7 * 24 * 3600
# A phone's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
INSIGHT_KINDS = ("comprehensive", "profile", "predictive")
INSIGHT_TTL = 24 * 3600
PROFILE_EXCERPTS = 24
EXCERPT_CHARS = 280
SUPPORT_RESOURCES = [
    {"name": "Emergency services", "contact": "112 (EU) · 911 (US) · 999 (UK)"},
    {"name": "988 Suicide & Crisis Lifeline (US)", "contact": "call or text 988"},
    {"name": "Samaritans (UK & Ireland)", "contact": "116 123"},
    {"name": "Find a helpline in your country", "contact": "https://findahelpline.com"},
]


# ---- entries

def entry_create(*, owner: User, text: str, written_at: datetime | None = None, mood: int | None = None,
                 source: str = JournalEntry.Source.TEXT, shared_with_care_team: bool = False,
                 voice_job_id: str | None = None) -> JournalEntry:
    """Save an entry and queue its analysis once it is committed. Crisis language is flagged at once."""
    text = _clean_text(text)
    written_at = _checked_written_at(written_at or timezone.now())
    _check_mood(mood)
    with transaction.atomic():
        entry = JournalEntry.objects.create(owner=owner, text=text, written_at=written_at, mood=mood, source=source,
                                            shared_with_care_team=shared_with_care_team, voice_job_id=voice_job_id,
                                            crisis=bool(crisis_language(text)))
        EntryAnalysis.objects.create(entry=entry)
        _insights_invalidate_on_commit(owner_id=owner.pk)
        _analysis_enqueue_on_commit(tier=owner.tier)
        _saved_announce_on_commit(entry_id=entry.pk, tier=owner.tier)
        if entry.crisis:
            _crisis_announce(entry=entry)
    return entry


def entry_update(*, entry: JournalEntry, text: str | None = None, written_at: datetime | None = None,
                 mood: int | None = None, clear_mood: bool = False, shared_with_care_team: bool | None = None
                 ) -> JournalEntry:
    """Edit an entry. A new text is analysed again; its old analysis stays readable until then."""
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        text_changed = text is not None and _clean_text(text) != entry.text
        was_crisis = entry.crisis
        if text_changed:
            entry.text = _clean_text(text)
            entry.revision += 1
            entry.crisis = bool(crisis_language(entry.text))
            EntryAnalysis.objects.filter(entry=entry).update(status=EntryAnalysis.Status.PENDING, claimed_until=None)
        if written_at is not None:
            entry.written_at = _checked_written_at(written_at)
        if clear_mood:
            entry.mood = None
        elif mood is not None:
            _check_mood(mood)
            entry.mood = mood
        if shared_with_care_team is not None:
            entry.shared_with_care_team = shared_with_care_team
        entry.save()
        _insights_invalidate_on_commit(owner_id=entry.owner_id)
        if text_changed:
            _analysis_enqueue_on_commit(tier=entry.owner.tier)
        _saved_announce_on_commit(entry_id=entry.pk, tier=entry.owner.tier)
        if entry.crisis and not was_crisis:
            _crisis_announce(entry=entry)
    return entry


def entry_delete(*, entry: JournalEntry) -> None:
    owner_id = entry.owner_id
    with transaction.atomic():
        # Locked first, as what saves rows that point at the entry (the assistant's passages) locks it: those are
        # saved before the delete collects them, where their foreign key refused the delete at commit.
        JournalEntry.objects.select_for_update().filter(pk=entry.pk).first()
        entry.delete()
        _insights_invalidate_on_commit(owner_id=owner_id)


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write something first.", fields={"text": ["This field may not be blank."]})
    if len(text.encode()) > MAX_ENTRY_BYTES:
        raise ApplicationError(f"An entry is limited to {MAX_ENTRY_BYTES // 1000} kB of text.", code="too_large",
                               status_code=413, fields={"text": [f"At most {MAX_ENTRY_BYTES // 1000} kB."]})
    return text


def _checked_written_at(written_at: datetime) -> datetime:
    if timezone.is_naive(written_at):
        written_at = timezone.make_aware(written_at)
    if written_at > timezone.now() + CLOCK_SKEW:
        raise ApplicationError("An entry cannot be dated in the future.", fields={"written_at": ["In the future."]})
    if written_at < datetime.combine(EARLIEST_DATE, time.min, tzinfo=UTC):
        raise ApplicationError(f"An entry cannot be dated before {EARLIEST_DATE.year}.",
                               fields={"written_at": [f"Before {EARLIEST_DATE.year}."]})
    return written_at


def _check_mood(mood: int | None) -> None:
    if mood is not None and not 1 <= mood <= 10:
        raise ApplicationError("Mood is rated from 1 to 10.", fields={"mood": ["Between 1 and 10."]})


# What a write does once committed is robust: the entry is saved whatever happens next. A broker or Redis outage
# must not answer 500 for it (the client would send it again); the beat requeues its analysis and the failure is
# logged.

def _insights_invalidate_on_commit(*, owner_id: int) -> None:
    transaction.on_commit(lambda: insight_cache_invalidate(owner_id=owner_id), robust=True)


def _analysis_enqueue_on_commit(*, tier: str) -> None:
    transaction.on_commit(lambda: analysis_enqueue(tier=tier), robust=True)


def _saved_announce_on_commit(*, entry_id: int, tier: str) -> None:
    transaction.on_commit(lambda: entry_saved.send(sender=JournalEntry, entry_id=entry_id, tier=tier), robust=True)


def _crisis_announce(*, entry: JournalEntry) -> None:
    """The writer is shown help once the entry is committed, and the other apps hear of it inside the transaction
    (patients keeps an alert for the care team), so what they save commits with the entry and is never lost."""
    owner_id, entry_id = entry.owner_id, entry.pk
    transaction.on_commit(lambda: crisis_support_notify(owner_id=owner_id, entry_id=entry_id), robust=True)
    crisis_language_written.send(sender=JournalEntry, entry=entry)


# ---- spoken entries

VOICE_TTL = 3600
# Runs that died holding a recording (their worker killed, say by a decoder's memory) before it is given up.
MAX_LOST_VOICE_RUNS = 3


def voice_entry_submit(*, owner: User, audio: bytes, written_at: datetime | None = None, mood: int | None = None,
                       shared_with_care_team: bool = False) -> dict:
    """Keep the recording as the owner's clip in media storage (never in the broker's Redis; removed once
    transcribed) and queue its transcription; the entry is saved from the transcript. Returns the job's status,
    as selectors.voice_entry_status reads it."""
    # Not audio, or longer than the limit, from its container and packets: decoded on a worker, a small file
    # could otherwise grow to hours of samples.
    info = speech.audio_check(data=audio)
    written_at = _checked_written_at(written_at or timezone.now())
    _check_mood(mood)
    queue = inference.queue_for(tier=owner.tier, task=Task.ASR)
    job_id = uuid.uuid4().hex
    recording = speech.clip_save(owner=owner, data=audio, info=info)
    status = {"job_id": job_id, "status": "transcribing", "entry_id": None, "owner_id": owner.pk,
              "clip_id": recording.pk, "running": False, "lost_runs": 0}
    cache.set(selectors.voice_job_key(job_id), status, VOICE_TTL)
    from journal.tasks import transcribe_voice_entry

    def undo() -> None:
        cache.delete(selectors.voice_job_key(job_id))
        speech.clip_delete(clip=recording)

    enqueue(transcribe_voice_entry, queue=queue,
            kwargs={"job_id": job_id, "written_at": written_at.isoformat(), "mood": mood,
                    "shared_with_care_team": shared_with_care_team}, undo=undo)
    return status


def voice_entry_transcribe(*, job_id: str, written_at: str, mood: int | None, shared_with_care_team: bool) -> None:
    """Transcribe a recording and save it as an entry, once: a redelivered task finds the job done. A run that
    finds the one before it never finished (its worker died) counts it; MAX_LOST_VOICE_RUNS such and the job
    fails, rather than killing workers for ever."""
    status = cache.get(selectors.voice_job_key(job_id))
    if status is None or status["status"] != "transcribing":
        return
    saved = JournalEntry.objects.filter(voice_job_id=job_id).values_list("pk", flat=True).first()
    if saved is not None:  # a run that died after saving the entry
        _voice_done(status, saved)
        return
    if status["running"]:
        status["lost_runs"] += 1
        if status["lost_runs"] >= MAX_LOST_VOICE_RUNS:
            logger.error("voice entry given up: its runs kept dying", extra={"runs": status["lost_runs"]})
            _voice_failed(status, code="worker_lost")
            return
    status["running"] = True
    cache.set(selectors.voice_job_key(job_id), status, VOICE_TTL)
    try:
        owner, audio = speech.clip_read(clip_id=status["clip_id"])
        _, transcript = inference.speech_transcribe(user=owner, audio=audio)
    except Exception:  # an error ends this run cleanly: it is retried or failed, not counted as lost
        status["running"] = False
        cache.set(selectors.voice_job_key(job_id), status, VOICE_TTL)
        raise
    text = transcript.text.strip()
    if not text:
        _voice_failed(status, code="no_speech", message="No speech was heard in the recording.")
        return
    entry = entry_create(owner=owner, text=text, written_at=datetime.fromisoformat(written_at), mood=mood,
                         source=JournalEntry.Source.VOICE, shared_with_care_team=shared_with_care_team,
                         voice_job_id=job_id)
    _voice_done(status, entry.pk)


def _recording_discard(status: dict) -> None:
    recording = AudioClip.objects.filter(pk=status["clip_id"]).first()
    if recording is not None:
        speech.clip_delete(clip=recording)


def _voice_done(status: dict, entry_id: int) -> None:
    job_id = status["job_id"]
    status.update(status="done", entry_id=entry_id, running=False)
    cache.set(selectors.voice_job_key(job_id), status, VOICE_TTL)
    _recording_discard(status)
    user_notify(user_id=status["owner_id"], event={"type": "journal.voice_ready", "job_id": job_id,
                                                   "entry_id": entry_id,
                                                   "message": "Your spoken entry is in your journal."})


def _voice_failed(status: dict, *, code: str, message: str = "The recording could not be transcribed.") -> None:
    status.update(status="failed", error=code, running=False)
    cache.set(selectors.voice_job_key(status["job_id"]), status, VOICE_TTL)
    _recording_discard(status)
    user_notify(user_id=status["owner_id"], event={"type": "journal.voice_failed", "job_id": status["job_id"],
                                                   "message": message})


def voice_entry_failed(*, job_id: str, code: str) -> None:
    """The transcription gave up (its retries spent): say so, rather than 'transcribing' until the job expires."""
    status = cache.get(selectors.voice_job_key(job_id))
    if status is None or status["status"] != "transcribing":
        return
    _voice_failed(status, code=code)


# ---- crisis

def crisis_support_notify(*, owner_id: int, entry_id: int) -> None:
    """Tell the writer where help is (their care team's alert is saved with the entry): no words of the entry."""
    logger.warning("crisis language flagged", extra={"entry_id": entry_id, "user_id": owner_id})
    user_notify(user_id=owner_id, event={
        "type": "journal.crisis", "entry_id": entry_id, "resources": SUPPORT_RESOURCES,
        "message": "You are not alone. If you are in danger, call your local emergency number now."})


# ---- analysis

def analysis_enqueue(*, tier: str) -> None:
    """Queue a batch run on the queue of the workers that run this tier's sentiment model."""
    from journal.tasks import analyze_pending

    try:
        queue = inference.queue_for(tier=tier, task=Task.SENTIMENT)
    except ModelUnavailable:
        # Saving an entry never fails for want of a model: it waits, and the beat requeues it.
        logger.warning("no sentiment model: analysis waits", extra={"tier": tier})
        return
    enqueue(analyze_pending, queue=queue, args=(tier,))


def analysis_run_batch(*, tier: str, batch_size: int = ANALYSIS_BATCH, run_id: str | None = None) -> int:
    """Analyse up to batch_size pending entries of the tier's users: one call per model for the whole batch.

    On a model failure the claims are released and the error raised (the task retries): the entries stay
    pending, never marked analysed with made-up values. A batch the model refuses as input is split in halves
    until the one entry it refuses is found; that one is marked failed, so it cannot hold up the rest forever.
    An entry edited meanwhile keeps waiting for the run its edit queued. `run_id` (the task's id, which its
    redelivery keeps) lets a redelivered run take up what its dead predecessor held. Returns how many analyses
    were saved."""
    if run_id is not None:
        _dead_run_claims_expire(run_id=run_id)
    claimed = _claim(tier=tier, batch_size=batch_size, run_id=run_id)
    if not claimed:
        return 0
    texts = [text for _, _, text, _ in claimed]
    try:
        sentiment_model, sentiments = inference.text_classify(tier=tier, task=Task.SENTIMENT, texts=texts)
        emotion_model, emotions = inference.text_classify(tier=tier, task=Task.EMOTION, texts=texts)
        embedding_model, vectors = inference.text_embed(tier=tier, texts=texts)
    except BadInput:
        ids = [pk for pk, *_ in claimed]
        if len(ids) == 1:
            logger.warning("entry refused by the analysis models", extra={"analysis_id": ids[0]})
            EntryAnalysis.objects.filter(pk__in=ids).update(status=EntryAnalysis.Status.FAILED, claimed_until=None)
            _requeue_if_pending(tier=tier)
            return 0
        EntryAnalysis.objects.filter(pk__in=ids).update(claimed_until=None)
        return analysis_run_batch(tier=tier, batch_size=len(ids) // 2, run_id=run_id)
    except InferenceError:
        EntryAnalysis.objects.filter(pk__in=[pk for pk, *_ in claimed]).update(claimed_until=None)
        raise
    now = timezone.now()
    saved, owners = 0, set()
    with transaction.atomic():
        revisions = dict(JournalEntry.objects.select_for_update().filter(pk__in=[c[1] for c in claimed])
                         .values_list("pk", "revision"))
        for (pk, entry_id, _, revision), labels, top, vector in zip(claimed, sentiments, emotions, vectors,
                                                                    strict=True):
            if revisions.get(entry_id) != revision:
                EntryAnalysis.objects.filter(pk=pk).update(claimed_until=None)
                continue
            scores = {label.label: label.score for label in labels}
            EntryAnalysis.objects.filter(pk=pk).update(
                status=EntryAnalysis.Status.DONE, sentiment_label=labels[0].label,
                negative=scores.get("negative", 0.0), neutral=scores.get("neutral", 0.0),
                positive=scores.get("positive", 0.0),
                score=scores.get("positive", 0.0) - scores.get("negative", 0.0),
                emotions=[{"label": e.label, "score": round(e.score, 4)} for e in top[:3]],
                embedding=vector, sentiment_model=sentiment_model, emotion_model=emotion_model,
                embedding_model=embedding_model, analyser_version=ANALYSIS_VERSION, analysed_revision=revision,
                analysed_at=now, claimed_until=None)
            saved += 1
        owners = set(JournalEntry.objects.filter(pk__in=[c[1] for c in claimed]).values_list("owner_id", flat=True))
        for owner_id in owners:
            transaction.on_commit(lambda owner_id=owner_id: insight_cache_invalidate(owner_id=owner_id))
    _requeue_if_pending(tier=tier)
    return saved


def _requeue_if_pending(*, tier: str) -> None:
    if _pending(tier=tier).exists():
        analysis_enqueue(tier=tier)


def _pending(*, tier: str):
    now = timezone.now()
    return EntryAnalysis.objects.filter(status=EntryAnalysis.Status.PENDING, entry__owner__tier=tier).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _run_key(run_id: str) -> str:
    return f"journal:run:{run_id}"


def _dead_run_claims_expire(*, run_id: str) -> None:
    """This run is a redelivery (its worker was killed mid-batch): the claims its predecessor left are expired
    now, as their lease would have in ANALYSIS_LEASE, and taken up as a dead run's (see _lost_run_claim). Only
    claims still holding that run's lease: one released meanwhile, and maybe taken by another worker, is not."""
    held = sync_client().getdel(_run_key(run_id))
    if held is not None:
        lease = json.loads(held)
        EntryAnalysis.objects.filter(pk__in=lease["ids"], status=EntryAnalysis.Status.PENDING,
                                     claimed_until=datetime.fromisoformat(lease["until"])).update(
            claimed_until=timezone.now() - timedelta(microseconds=1))


def _claim(*, tier: str, batch_size: int, run_id: str | None = None) -> list[tuple[int, int, str, int]]:
    """Lease a batch of pending analyses: (analysis id, entry id, text, revision) each, oldest first but the least
    tried before the often tried, and no more text than ANALYSIS_BATCH_CHARS unless one entry is longer alone.
    SKIP LOCKED lets two workers claim at once without waiting on, or taking, each other's rows. The lease is
    kept under run_id in Redis before it commits, so a redelivery of the run finds it."""
    with transaction.atomic():
        pending = _pending(tier=tier).select_for_update(skip_locked=True, of=("self",))
        lost = _lost_run_claim(pending)
        candidates = lost if lost is not None else (pending.order_by("attempts", "id")
                                                    .annotate(chars=Length("entry__text"))
                                                    .values_list("pk", "chars")[:batch_size])
        ids, total = [], 0
        for pk, chars in candidates:
            if ids and total + chars > ANALYSIS_BATCH_CHARS:
                break
            ids.append(pk)
            total += chars
        until = timezone.now() + ANALYSIS_LEASE
        EntryAnalysis.objects.filter(pk__in=ids).update(claimed_until=until, attempts=F("attempts") + 1)
        if run_id is not None and ids:
            sync_client().set(_run_key(run_id), json.dumps({"ids": ids, "until": until.isoformat()}),
                              ex=ANALYSIS_LEASE)
        return list(EntryAnalysis.objects.filter(pk__in=ids).order_by("pk")
                    .values_list("pk", "entry_id", "entry__text", "entry__revision"))


def _lost_run_claim(pending) -> list[tuple[int, int]] | None:
    """An entry a dead run held (its claim expired unreleased), to be tried alone: so one that kills its worker
    takes no other down with it, and is marked failed once MAX_LOST_RUNS runs died holding it. Its deaths are
    counted in Redis: `attempts` also counts the runs a model failure ended."""
    r = sync_client()
    for pk, chars in pending.filter(claimed_until__isnull=False).order_by("id").annotate(
            chars=Length("entry__text")).values_list("pk", "chars").iterator():
        key = f"journal:lost-runs:{pk}"
        lost_runs = r.incr(key)
        r.expire(key, LOST_RUNS_TTL_S)
        if lost_runs < MAX_LOST_RUNS:
            return [(pk, chars)]
        logger.error("analysis failed: its runs kept dying", extra={"analysis_id": pk, "runs": lost_runs})
        EntryAnalysis.objects.filter(pk=pk).update(status=EntryAnalysis.Status.FAILED, claimed_until=None)
    return None


def analysis_reset(*, owner_ids: list[int] | None, stale_only: bool) -> tuple[list[str], int]:
    """Mark analyses pending again (all of them, or only those made by other models or code than the tiers'
    current ones): the tiers to run and how many were reset."""
    analyses = EntryAnalysis.objects.all()
    if owner_ids is not None:
        analyses = analyses.filter(entry__owner_id__in=owner_ids)
    if stale_only:
        current = Q()
        for tier in User.Tier.values:
            plan = tier_plan(name=tier)
            first = {task: plan.specs[task][0].slug for task in (Task.SENTIMENT, Task.EMOTION) if plan.specs.get(task)}
            current |= Q(entry__owner__tier=tier, sentiment_model=first.get(Task.SENTIMENT, ""),
                         emotion_model=first.get(Task.EMOTION, ""), analyser_version=ANALYSIS_VERSION)
        analyses = analyses.exclude(current)
    tiers = sorted(set(analyses.values_list("entry__owner__tier", flat=True)))
    count = analyses.update(status=EntryAnalysis.Status.PENDING, claimed_until=None)
    return tiers, count


def stalled_analyses_requeue() -> list[str]:
    """Queue a run for every tier with pending entries nobody holds: after a task gave up its retries or a
    worker died, nothing waits forever."""
    tiers = sorted(set(EntryAnalysis.objects.filter(status=EntryAnalysis.Status.PENDING)
                       .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))
                       .values_list("entry__owner__tier", flat=True)))
    for tier in tiers:
        analysis_enqueue(tier=tier)
    return tiers


# ---- insights

def insight_cache_invalidate(*, owner_id: int) -> None:
    """Every write to a journal or its analyses: cached insights of the old version are never served again."""
    cache.set(selectors.insight_cache_version_key(owner_id), time_ns(), None)


def insight_enqueue(*, user: User, kind: str) -> None:
    """Queue the computation of the insight of the journal as it is now, unless it is queued already."""
    key = selectors.insight_cache_key(user=user, kind=kind, version=selectors.insight_cache_version(owner_id=user.pk))
    if cache.add(f"{key}:queued", 1, timeout=300):
        from journal.tasks import compute_insight

        # Nothing is computing if it cannot be sent: the next request queues it again.
        enqueue(compute_insight, queue=_insight_queue(user=user, kind=kind), args=(user.pk, kind),
                undo=lambda: cache.delete(f"{key}:queued"))


def _insight_queue(*, user: User, kind: str) -> str:
    """The profile is written where the tier's chat model runs; with no chat model, its facts version is
    computed like the others, on the default queue."""
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    return inference.queue_for(tier=user.tier, task=Task.CHAT, default=default) if kind == "profile" else default


def insight_compute(*, user_id: int, kind: str) -> dict:
    """Compute an insight and cache it under the journal version read before the entries were: a write that
    lands meanwhile makes the next request compute again."""
    user = User.objects.get(pk=user_id)
    key = selectors.insight_cache_key(user=user, kind=kind, version=selectors.insight_cache_version(owner_id=user_id))
    try:
        entries = selectors.entry_facts(owner_id=user_id)
        tz = ZoneInfo(user.time_zone)
        today = timezone.now().astimezone(tz).date()
        if kind == "comprehensive":
            result = comprehensive(entries, tz=tz, today=today)
        elif kind == "predictive":
            result = predictive(entries, tz=tz, today=today)
        else:
            result = _profile(user=user, entries=entries, facts=comprehensive(entries, tz=tz, today=today))
        payload = {"kind": kind, "generated_at": timezone.now().isoformat(), "entry_count": len(entries),
                   "pending_entries": sum(1 for e in entries if e.score is None), "result": result}
        cache.set(key, payload, INSIGHT_TTL)
    finally:
        # Whatever happened, the next request may queue it again.
        cache.delete(f"{key}:queued")
    user_notify(user_id=user_id, event={"type": "insight.ready", "kind": kind,
                                        "message": f"Your {kind} insight is ready."})
    return payload


PROFILE_PROMPT = """You write a short reflective profile of a person from excerpts of their own journal. It is a
reflection, not a diagnosis: no medical labels. Each excerpt starts with its id in brackets. Answer with JSON only:
{"recurring_concerns": [{"statement": str, "entry_ids": [int]}], "coping_strategies": [...], "sources_of_energy": [...]}
Every statement cites the ids of the excerpts it rests on; at most 4 statements per list; write to the person as "you".
"""


def _profile(*, user: User, entries: list[EntryFacts], facts: dict) -> dict:
    excerpts = _profile_excerpts(entries, facts)
    if not excerpts:
        return fallback_profile(entries, facts)
    known = {e.id for e in entries}
    text = "\n".join(f"[{e.id}] {e.written_at:%Y-%m-%d}: {e.text[:EXCERPT_CHARS]}" for e in excerpts)
    try:
        answer = inference.chat_json(user=user, schema=ProfileSchema, fallback=lambda: None,
                                     messages=[ChatMessage("system", PROFILE_PROMPT), ChatMessage("user", text)])
        if answer.value is None:
            raise ValueError("no valid profile")
        profile = profile_citations_valid(answer.value, known)
    except (InferenceError, ValueError) as exc:
        logger.info("profile rendered from facts", extra={"user_id": user.pk, "reason": type(exc).__name__})
        return fallback_profile(entries, facts)
    return {"kind": "reflective_profile", "disclaimer": DISCLAIMER, **profile.model_dump(),
            "generated_by": answer.model}


def _profile_excerpts(entries: list[EntryFacts], facts: dict) -> list[EntryFacts]:
    """The entries behind the themes and the best and worst weeks first, then the most recent."""
    by_id = {e.id: e for e in entries}
    wanted: list[int] = []
    for theme in (facts.get("themes") or {}).get("items", []):
        wanted += theme.get("representative_ids", [])[:3]
    for week in ("best", "worst"):
        wanted += ((facts.get("weeks") or {}).get(week) or {}).get("entry_ids", [])[:3]
    wanted += [e.id for e in sorted(entries, key=lambda e: e.written_at, reverse=True)]
    chosen, seen = [], set()
    for entry_id in wanted:
        if entry_id in by_id and entry_id not in seen:
            seen.add(entry_id)
            chosen.append(by_id[entry_id])
        if len(chosen) == PROFILE_EXCERPTS:
            break
    return sorted(chosen, key=lambda e: e.written_at)
