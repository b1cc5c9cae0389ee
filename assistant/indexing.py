"""Indexing: a source's passages, embedded and saved as chunks in one transaction, so a source is found by its
old chunks or its new ones, never by half of either. The embedding model is called before the transaction
opens (a model call holds no database connection)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from assistant import document_files
from assistant.chunking import TextChunk, chunk_text
from assistant.models import Chunk, Document
from journal.models import JournalEntry
from meditrack.accounts.models import User
from meditrack.enqueue import enqueue
from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import BadInput, InferenceError, ModelUnavailable
from meditrack.inference.types import Task
from meditrack.patients.models import Patient
from meditrack.reports.narrative import render_from_facts
from meditrack.reports.selectors import report_facts

logger = logging.getLogger("meditrack.assistant")

EMBED_BATCH = 64
FACTS_DAYS = 30
# A patient's facts are recomputed at most this often by searches; a reindex recomputes them at once.
FACTS_FRESH_FOR = timedelta(minutes=1)
FACTS_HEADING = "# Vitals and medications over the last {days} days\n"


def _embedded(*, tier: str, chunks: list[TextChunk]) -> tuple[str, list[list[float]]]:
    model, vectors = "", []
    for at in range(0, len(chunks), EMBED_BATCH):
        model, batch = inference.text_embed(tier=tier, texts=[c.text for c in chunks[at:at + EMBED_BATCH]])
        vectors += batch
    return model, vectors


def _chunk_rows(*, chunks: list[TextChunk], vectors: list[list[float]], model: str, **columns) -> Iterator[Chunk]:
    for position, (chunk, vector) in enumerate(zip(chunks, vectors, strict=True)):
        yield Chunk(position=position, text=chunk.text, char_start=chunk.start, char_end=chunk.end,
                    embedding=vector, embedding_model=model, **columns)


# ---- documents

class IndexingFailed(Exception):
    """The document cannot be indexed, whatever is tried again: it is marked failed with this reason."""


def document_index(*, document_id: int) -> None:
    """Extract, chunk and embed a document and save its chunks, or mark it failed with the reason and leave it
    without chunks. A model that is down raises (the task retries) and changes nothing."""
    document = Document.objects.filter(pk=document_id).select_related("owner").first()
    if document is None:
        return  # deleted before its turn
    try:
        text = document.text if document.upload is None else document_files.text_extract(
            bytes(document.upload), media_type=document.media_type)
        chunks = chunk_text(text)
        if not chunks:
            raise IndexingFailed("No text was found in the file.")
        if len(chunks) > document_files.MAX_CHUNKS:
            raise IndexingFailed(f"The text is too long: at most {document_files.MAX_CHUNKS} passages.")
        model, vectors = _embedded(tier=document.owner.tier, chunks=chunks)
    except (document_files.DocumentRejected, IndexingFailed) as exc:
        document_index_fail(document_id=document_id, reason=str(exc))
        return
    except BadInput:
        document_index_fail(document_id=document_id, reason="The embedding model refused the text.")
        return
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None:
            return
        Chunk.objects.filter(document=document).delete()
        Chunk.objects.bulk_create(_chunk_rows(
            chunks=chunks, vectors=vectors, model=model, owner_id=document.owner_id,
            source_type=Chunk.SourceType.DOCUMENT, source_id=document.pk, document=document, title=document.title))
        document.text, document.upload = text, None
        document.status, document.failure_reason = Document.Status.READY, ""
        document.chunk_count, document.indexed_at = len(chunks), timezone.now()
        document.save(update_fields=["text", "upload", "status", "failure_reason", "chunk_count", "indexed_at"])


def document_index_fail(*, document_id: int, reason: str) -> None:
    with transaction.atomic():
        Chunk.objects.filter(document_id=document_id).delete()
        Document.objects.filter(pk=document_id).update(status=Document.Status.FAILED, failure_reason=reason[:200],
                                                       chunk_count=0, upload=None)


def document_index_enqueue(*, document: Document, undo=None) -> None:
    from assistant.tasks import index_document

    enqueue(index_document, queue=inference.queue_for(tier=document.owner.tier, task=Task.EMBEDDING),
            args=(document.pk,), undo=undo)


# ---- journal entries

def entry_title(entry: JournalEntry) -> str:
    return f"Journal, {date_format(timezone.localtime(entry.written_at), 'j F Y')}"


def entries_index(*, entry_ids: list[int]) -> int:
    """Index journal entries of one owner as they are now, their passages embedded together in batches; how many
    were.
    An entry deleted meanwhile has lost its chunks with it."""
    entries = list(JournalEntry.objects.filter(pk__in=entry_ids).select_related("owner").order_by("pk"))
    if not entries:
        return 0
    per_entry = [chunk_text(entry.text) for entry in entries]
    model, vectors = _embedded(tier=entries[0].owner.tier, chunks=[c for chunks in per_entry for c in chunks])
    vectors_left = iter(vectors)
    indexed = 0
    with transaction.atomic():
        # Locked, so an edit or a delete waits for these chunks or comes after them; an edit made while the
        # model worked queued another run, and this one must not save the older text.
        current = JournalEntry.objects.select_for_update().in_bulk([e.pk for e in entries])
        rows = []
        for entry, chunks in zip(entries, per_entry, strict=True):
            entry_vectors = [next(vectors_left) for _ in chunks]
            now = current.get(entry.pk)
            if now is None or now.revision != entry.revision:
                continue
            Chunk.objects.filter(source_type=Chunk.SourceType.JOURNAL_ENTRY, source_id=entry.pk).delete()
            rows += _chunk_rows(chunks=chunks, vectors=entry_vectors, model=model, owner_id=now.owner_id,
                                source_type=Chunk.SourceType.JOURNAL_ENTRY, source_id=entry.pk, entry=now,
                                shared=now.shared_with_care_team, title=entry_title(now))
            indexed += 1
        Chunk.objects.bulk_create(rows, batch_size=500)
    return indexed


def entry_index_enqueue(*, entry_id: int, tier: str) -> None:
    """Queue the indexing of a saved entry. Without an embedding model the entry waits for a reindex: saving a
    journal entry never fails for the assistant's sake."""
    from assistant.tasks import index_journal_entry

    try:
        queue = inference.queue_for(tier=tier, task=Task.EMBEDDING)
    except ModelUnavailable:
        logger.warning("no embedding model: entry not indexed", extra={"entry_id": entry_id, "tier": tier})
        return
    enqueue(index_journal_entry, queue=queue, args=(entry_id,))


# ---- a patient's facts

def facts_text(*, patient: Patient) -> str:
    """The reports' facts of the last FACTS_DAYS days, as the reports write them out."""
    today = timezone.localdate()
    facts = report_facts(patient=patient, date_from=today - timedelta(days=FACTS_DAYS - 1), date_to=today,
                         tz=timezone.get_current_timezone())
    return FACTS_HEADING.format(days=FACTS_DAYS) + render_from_facts(facts)


def facts_index(*, patient: Patient, tier: str) -> None:
    """The patient's facts as chunks, replaced only when they changed."""
    text = facts_text(patient=patient)
    current = Chunk.objects.filter(source_type=Chunk.SourceType.FACTS, source_id=patient.pk)
    chunks = chunk_text(text)
    if [c.text for c in chunks] == list(current.order_by("position").values_list("text", flat=True)):
        if current.exclude(owner_id=patient.user_id).exists():
            current.update(owner_id=patient.user_id)  # the record was linked to, or unlinked from, an account
        return
    model, vectors = _embedded(tier=tier, chunks=chunks)
    with transaction.atomic():
        current.delete()
        Chunk.objects.bulk_create(_chunk_rows(
            chunks=chunks, vectors=vectors, model=model, owner_id=patient.user_id,
            source_type=Chunk.SourceType.FACTS, source_id=patient.pk, patient=patient,
            title="Vitals and medications"))


def facts_refresh_for(*, user: User, patient_id: int | None) -> None:
    """Bring the facts a search of `user` may read up to date: their own if they are a patient, and those of
    patient_id if they are assigned to that patient. At most once a minute each."""
    patients = Patient.objects.filter(user=user)
    if patient_id is not None:
        patients = patients | Patient.objects.filter(pk=patient_id, care_assignments__clinician=user)
    for patient in patients.distinct():
        if cache.add(f"assistant:facts-fresh:{patient.pk}", 1, int(FACTS_FRESH_FOR.total_seconds())):
            try:
                facts_index(patient=patient, tier=user.tier)
            except (InferenceError, ApplicationError):
                cache.delete(f"assistant:facts-fresh:{patient.pk}")
                logger.warning("facts not indexed", extra={"patient_id": patient.pk})


# ---- everything of a user

def owner_sources(*, user: User) -> tuple[list[int], list[int], list[Patient]]:
    """What a reindex of `user` covers: their documents, journal entries and own patient record."""
    return (list(Document.objects.filter(owner=user).exclude(status=Document.Status.FAILED)
                 .values_list("pk", flat=True)),
            list(JournalEntry.objects.filter(owner=user).values_list("pk", flat=True)),
            list(Patient.objects.filter(user=user)))


def owner_reindex(*, user: User, on_progress=lambda done: None) -> list[int]:
    """Index all of `user`'s sources again (see owner_sources), calling on_progress with each step's count of
    sources; the ids of their documents."""
    document_ids, entry_ids, records = owner_sources(user=user)
    for document_id in document_ids:
        document_index(document_id=document_id)
        on_progress(1)
    for at in range(0, len(entry_ids), EMBED_BATCH):
        batch = entry_ids[at:at + EMBED_BATCH]
        entries_index(entry_ids=batch)
        on_progress(len(batch))
    for record in records:
        facts_index(patient=record, tier=user.tier)
        on_progress(1)
    return document_ids
