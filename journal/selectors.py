"""Journal reads: whose entries a user may see, the plain facts insights are computed from, the cached insights
and the state of a spoken entry's transcription."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from time import time_ns

import numpy as np
from django.core.cache import cache
from django.db.models import Avg, BinaryField, Count, F, Func, QuerySet
from django.http import Http404
from django.utils import timezone

from journal.insights.entries import EntryFacts
from journal.models import EntryAnalysis, JournalEntry
from meditrack import dateranges
from meditrack.accounts.models import User
from meditrack.patients.models import Patient
from meditrack.patients.selectors import patient_get


def entries_visible_to(*, user: User, patient_id: str | None = None) -> QuerySet[JournalEntry]:
    """The user's own journal; or, with a patient_id, the entries that patient shared with their care team
    (for a clinician assigned to them)."""
    entries = JournalEntry.objects.select_related("analysis")
    if patient_id is None:
        return entries.filter(owner=user)
    patient = patient_get(user=user, patient_id=patient_id)
    if patient.user_id == user.pk:
        return entries.filter(owner=user)
    return entries_shared_with_care_team(patient=patient)


def entries_shared_with_care_team(*, patient: Patient) -> QuerySet[JournalEntry]:
    """What the patient shared with their care team, for a caller who already reached the patient."""
    if patient.user_id is None:
        return JournalEntry.objects.none()
    return JournalEntry.objects.select_related("analysis").filter(owner_id=patient.user_id,
                                                                  shared_with_care_team=True)


def entries_search(entries: QuerySet[JournalEntry], *, since: date | None = None, until: date | None = None,
                   query: str = "") -> QuerySet[JournalEntry]:
    # Bounds as datetimes of the current time zone: a __date lookup would not use the (owner, written_at) index.
    start, end = dateranges.bounds(since, until, tz=timezone.get_current_timezone())
    if start:
        entries = entries.filter(written_at__gte=start)
    if end:
        entries = entries.filter(written_at__lte=end)
    if query:
        entries = entries.filter(text__icontains=query)
    return entries


def entry_get(*, user: User, entry_id: int) -> JournalEntry:
    """The user's own entry, or 404 whether or not someone else's exists."""
    try:
        return JournalEntry.objects.select_related("analysis").get(pk=entry_id, owner=user)
    except JournalEntry.DoesNotExist:
        raise Http404("No such entry.") from None


def entry_facts(*, owner_id: int) -> list[EntryFacts]:
    """Every entry of the journal with its analysis as plain values, oldest first: one query."""
    rows = (JournalEntry.objects.filter(owner_id=owner_id).order_by("written_at", "id")
            # pgvector's binary form: parsing the text form of every vector would cost more than the insight itself.
            .annotate(vector=Func(F("analysis__embedding"), function="vector_send", output_field=BinaryField()))
            .values_list("id", "written_at", "text", "mood", "analysis__status", "analysis__score",
                         "analysis__sentiment_label", "analysis__emotions", "vector"))
    facts = []
    for entry_id, written_at, text, mood, status, score, label, emotions, vector in rows:
        done = status == "done"
        facts.append(EntryFacts(
            id=entry_id, written_at=written_at, text=text, mood=mood,
            score=score if done else None, label=label if done else None,
            emotions=[(e["label"], e["score"]) for e in emotions or []] if done else [],
            embedding=_vector(vector) if done and vector is not None else None))
    return facts


def _vector(binary: bytes) -> np.ndarray:
    """vector_send's layout: int16 dimensions, int16 unused, then big-endian float4s."""
    return np.frombuffer(binary, dtype=">f4", offset=4).astype(np.float32)


# ---- cached insights and spoken entries

def insight_cache_version(*, owner_id: int) -> int:
    """The counter that names the owner's cached insights: every write to the journal or its analyses moves it on
    (services.insight_cache_invalidate), so an insight cached under an older one is never served again."""
    key = insight_cache_version_key(owner_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, time_ns(), None)
        version = cache.get(key)
    return version


def insight_cache_version_key(owner_id: int) -> str:
    return f"journal:version:{owner_id}"


def insight_cache_key(*, user: User, kind: str, version: int) -> str:
    # The zone is part of the key: the same entries fall on other days elsewhere.
    return f"journal:insight:{user.pk}:{kind}:{version}:{user.time_zone}"


def insight_get(*, user: User, kind: str) -> dict | None:
    """The insight of the journal as it is now, or None while it is not computed."""
    return cache.get(insight_cache_key(user=user, kind=kind, version=insight_cache_version(owner_id=user.pk)))


VOICE_JOB_ID = re.compile(r"[0-9a-f]{32}")


def voice_job_key(job_id: str) -> str:
    return f"journal:voice:{job_id}"


def voice_entry_status(*, user: User, job_id: str) -> dict:
    """The user's own transcription job, or 404 whether or not someone else's exists."""
    # Only ids we issue (uuid4().hex): anything else could name another cache key, as "<id>:audio" does.
    if not VOICE_JOB_ID.fullmatch(job_id):
        raise Http404("No such recording.")
    status = cache.get(voice_job_key(job_id))
    if status is None or status["owner_id"] != user.pk:
        raise Http404("No such recording.")
    return status


def shared_sentiment(*, patient: Patient, start: datetime, end: datetime) -> tuple[dict[str, int], float | None]:
    """What a care team learns of the journal between two instants (both included): of the entries the
    patient shared, those with a finished analysis, counted per sentiment label, and their mean score
    (None without any). Never their text."""
    analysed = entries_shared_with_care_team(patient=patient).filter(
        written_at__gte=start, written_at__lte=end, analysis__status=EntryAnalysis.Status.DONE)
    labels = {row["analysis__sentiment_label"]: row["n"]
              for row in analysed.values("analysis__sentiment_label").annotate(n=Count("id")).order_by()}
    mean = analysed.aggregate(mean=Avg("analysis__score"))["mean"] if labels else None
    return labels, mean


def mood_recent(*, owner_id: int, days: int = 14, now: datetime | None = None) -> dict:
    """The owner's own journal over the last `days` days against the `days` before them: for each period the number
    of analysed entries and their mean sentiment score (-1 to 1; None without any), and the emotions that weigh most
    among the recent entries' top emotions, neutral aside, strongest first."""
    now = now or timezone.now()
    middle = now - timedelta(days=days)
    rows = (JournalEntry.objects.filter(owner_id=owner_id, written_at__gt=middle - timedelta(days=days),
                                        written_at__lte=now, analysis__status=EntryAnalysis.Status.DONE)
            .values_list("written_at", "analysis__score", "analysis__emotions"))
    scores: dict[str, list[float]] = {"recent": [], "before": []}
    weights: dict[str, float] = {}
    for written_at, score, emotions in rows:
        period = "recent" if written_at > middle else "before"
        scores[period].append(score)
        for emotion in emotions if period == "recent" else []:
            if emotion["label"] != "neutral":
                weights[emotion["label"]] = weights.get(emotion["label"], 0.0) + emotion["score"]
    return {"days": days,
            **{period: {"entries": len(values), "mean": sum(values) / len(values) if values else None}
               for period, values in scores.items()},
            "emotions": sorted(weights, key=weights.get, reverse=True)[:3]}
