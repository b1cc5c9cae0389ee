"""Retrieval: the passages of a user's own sources that best answer a query, by vector and full-text search
fused with reciprocal rank fusion.

Who may read a chunk is a condition in the SQL of both searches, never a filter applied to results: a user
reads the chunks they own (their documents, journal entries and, for a patient, their facts); with a
patient_id, a clinician assigned to that patient (checked in the same SQL) also reads the patient's facts and
the entries the patient shares with the care team. A query's text is only ever a bound parameter.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import reverse

from assistant import indexing
from assistant.models import EMBEDDING_DIMENSIONS, TEXT_SEARCH_CONFIG, Chunk
from meditrack.inference import services as inference
from meditrack.inference.errors import InferenceError
from meditrack.patients.models import CareAssignment, Patient

logger = logging.getLogger("meditrack.assistant")

MAX_K = 50
MAX_QUERY_CHARS = 2000
# Candidates each search passes to the fusion; RRF_K damps the weight of the very first ranks (the usual 60).
CANDIDATES = 50
RRF_K = 60
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    source_type: str  # "document" | "journal_entry" | "facts"
    source_id: int  # the document's, entry's or patient's id
    title: str
    text: str  # the chunk's text, as indexed
    url: str  # where a browser opens this passage
    chunk_id: int
    score: float  # fused (reciprocal rank fusion) score, higher is better
    vector_rank: int | None
    text_rank: int | None


def query_usable(query: str) -> bool:
    """A query retrieval can use: something to search for (a letter or digit), within the length limit."""
    return bool(query) and len(query) <= MAX_QUERY_CHARS and bool(_WORD.search(query))


def passages_search(*, user, query: str, k: int = 10, patient_id: int | None = None) -> list[Passage]:
    """The k best passages of what `user` may read (see the module's docstring) for `query`; [] for a query
    with nothing to search for. Without an embedding model the full-text ranking alone answers."""
    query = (query or "").strip()
    if not query_usable(query) or k < 1:
        return []
    indexing.facts_refresh_for(user=user, patient_id=patient_id)
    return passages_rank(user_id=user.pk, query=query, vector=_query_vector(user=user, query=query), k=k,
                         patient_id=patient_id)


def passages_rank(*, user_id: int, query: str, vector: list[float] | None, k: int,
                  patient_id: int | None = None) -> list[Passage]:
    """The fused ranking for a query already embedded (or None: full text only), in one round trip."""
    visible, params = _visible_clause(user_id=user_id, patient_id=patient_id)
    params.update(query=query, k=min(k, MAX_K), candidates=CANDIDATES, rrf_k=RRF_K,
                  vector=None if vector is None else "[" + ",".join(f"{x:.7g}" for x in vector) + "]")
    with transaction.atomic(), connection.cursor() as cursor:
        # Bitmap scans only: the full-text search then ANDs the GIN index with the owner's rows. The planner
        # underestimates how many rows an any-word query matches, and its plain index scan of the owner's rows
        # instead reads the tsvector of every one of them.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(_sql(visible, with_vector=vector is not None), params)
        rows = cursor.fetchall()
    return [_passage(row, user_id=user_id) for row in rows]


def _query_vector(*, user, query: str) -> list[float] | None:
    try:
        _, vectors = inference.text_embed(tier=user.tier, texts=[query])
    except InferenceError as exc:
        logger.warning("retrieval without vectors", extra={"reason": exc.code})
        return None
    if len(vectors[0]) != EMBEDDING_DIMENSIONS:
        logger.warning("retrieval without vectors", extra={"reason": "embedding_dimensions"})
        return None
    return vectors[0]


def _visible_clause(*, user_id: int, patient_id: int | None) -> tuple[str, dict]:
    """The SQL condition on chunk `c` of what the user may read."""
    if patient_id is None:
        return "c.owner_id = %(user_id)s", {"user_id": user_id}
    assignment, patient = CareAssignment._meta.db_table, Patient._meta.db_table
    return (f"""(c.owner_id = %(user_id)s
        OR (EXISTS (SELECT 1 FROM {assignment} a WHERE a.clinician_id = %(user_id)s AND a.patient_id = %(patient_id)s)
            AND ((c.source_type = 'facts' AND c.patient_id = %(patient_id)s)
                 OR (c.source_type = 'journal_entry' AND c.shared
                     AND c.owner_id = (SELECT p.user_id FROM {patient} p WHERE p.id = %(patient_id)s)))))""",
            {"user_id": user_id, "patient_id": patient_id})


def _sql(visible: str, *, with_vector: bool) -> str:
    chunk = Chunk._meta.db_table
    vector_ranks = f"""
        SELECT c.id, row_number() OVER (ORDER BY c.embedding <=> %(vector)s::vector, c.id) AS rank
        FROM {chunk} c WHERE {visible}
        ORDER BY c.embedding <=> %(vector)s::vector, c.id LIMIT %(candidates)s""" if with_vector else f"""
        SELECT NULL::bigint AS id, NULL::bigint AS rank FROM {chunk} c WHERE false"""
    # Any of the query's words may match (a question's words are rarely all in one passage); the stemmed
    # lexemes are quoted, so nothing in the query is read as tsquery syntax. Ranked by how often they occur,
    # damped by the passage's length (normalization 1): cover density ranked a right first passage lower.
    return f"""
    WITH query AS (
        SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(lexeme), ' | '), '')) AS tsq
        FROM unnest(tsvector_to_array(to_tsvector('{TEXT_SEARCH_CONFIG}', %(query)s))) AS lexeme
    ),
    vector_ranked AS ({vector_ranks}),
    text_ranked AS (
        SELECT c.id, row_number() OVER (ORDER BY ts_rank(c.search_vector, query.tsq, 1) DESC, c.id) AS rank
        FROM {chunk} c, query WHERE c.search_vector @@ query.tsq AND {visible}
        ORDER BY rank LIMIT %(candidates)s
    ),
    fused AS (
        SELECT coalesce(v.id, t.id) AS id, v.rank AS vector_rank, t.rank AS text_rank,
               coalesce(1.0 / (%(rrf_k)s + v.rank), 0) + coalesce(1.0 / (%(rrf_k)s + t.rank), 0) AS score
        FROM vector_ranked v FULL OUTER JOIN text_ranked t ON v.id = t.id
        ORDER BY score DESC, id LIMIT %(k)s
    )
    SELECT c.id, c.source_type, c.source_id, c.title, c.text, c.owner_id, c.document_id, p.patient_id, p.name,
           f.score, f.vector_rank, f.text_rank
    FROM fused f JOIN {chunk} c ON c.id = f.id LEFT JOIN {Patient._meta.db_table} p ON p.id = c.patient_id
    ORDER BY f.score DESC, c.id"""


def _passage(row, *, user_id: int) -> Passage:
    (chunk_id, source_type, source_id, title, text, owner_id, document_id, public_patient_id, patient_name,
     score, vector_rank, text_rank) = row
    if source_type == Chunk.SourceType.DOCUMENT:
        url = reverse("assistant:document", args=[document_id]) + f"#chunk-{chunk_id}"
    elif source_type == Chunk.SourceType.JOURNAL_ENTRY:
        url = reverse("journal:detail", args=[source_id]) if owner_id == user_id else ""
    else:
        url = reverse("patients:detail", args=[public_patient_id])
        title = "Your vitals and medications" if owner_id == user_id else f"Vitals and medications: {patient_name}"
    return Passage(source_type=source_type, source_id=source_id, title=title, text=text, url=url,
                   chunk_id=chunk_id, score=float(score), vector_rank=vector_rank, text_rank=text_rank)
