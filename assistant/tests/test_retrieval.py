"""Retrieval: fused vector and full-text ranks over what the asker may read, the owner's boundary in the SQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant import indexing
from assistant.models import Chunk, Document
from assistant.retrieval import passages_search
from journal.services import entry_create, entry_update
from meditrack.patients.models import CareAssignment, Patient, Vital
from meditrack.testing.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline_models")]

LEAFLET = """# Blood pressure
## Measuring at home
Sit quietly for five minutes before you measure. Keep your arm at heart level and take two readings a minute apart.

## Salt
Eating less salt lowers blood pressure within weeks. Aim for under 6 grams of salt a day.
"""


def indexed_document(owner, text=LEAFLET, title="Blood pressure leaflet") -> Document:
    document = Document.objects.create(owner=owner, title=title, filename="leaflet.md", media_type="text/markdown",
                                       size_bytes=len(text), upload=text.encode())
    indexing.document_index(document_id=document.pk)
    document.refresh_from_db()
    return document


def test_a_question_finds_the_passage_that_answers_it(patient):
    document = indexed_document(patient)
    assert document.status == "ready" and document.chunk_count == Chunk.objects.filter(document=document).count()
    passages = passages_search(user=patient, query="how much salt should I eat each day?", k=3)
    best = passages[0]
    assert "6 grams of salt" in best.text
    assert best.text.startswith("Blood pressure › Salt\n")  # the headings it sits under
    assert (best.source_type, best.source_id, best.title) == ("document", document.pk, "Blood pressure leaflet")
    assert best.url.endswith(f"/assistant/documents/{document.pk}/#chunk-{best.chunk_id}")
    assert best.vector_rank == 1 and best.text_rank == 1
    assert best.score == pytest.approx(2 / 61)


def test_another_users_document_is_never_found(patient, other_patient):
    indexed_document(other_patient)
    assert passages_search(user=patient, query="salt blood pressure", k=10) == []


def test_a_useless_query_finds_nothing_and_raises_nothing(patient):
    indexed_document(patient)
    for query in ("", "   ", "?!…", "x" * 10_000):
        assert passages_search(user=patient, query=query) == []


def test_stopwords_only_still_search_by_meaning(patient):
    indexed_document(patient)
    passages = passages_search(user=patient, query="the of and", k=2)
    assert passages and all(p.text_rank is None for p in passages)


def test_journal_entries_are_indexed_as_they_are_written_and_edited(patient, worker):
    entry = entry_create(owner=patient, text="Walked to the lake with my sister; my knee hurt on the way back.")
    wait_until(lambda: Chunk.objects.filter(source_type="journal_entry", source_id=entry.pk).exists(), timeout=30,
               what="the entry's chunks")
    found = passages_search(user=patient, query="knee pain after walking", k=1)[0]
    assert (found.source_type, found.source_id) == ("journal_entry", entry.pk)
    assert found.title.startswith("Journal, ") and found.url == f"/journal/{entry.pk}/"
    entry_update(entry=entry, text="Swam forty lengths at the pool this morning.")
    wait_until(lambda: Chunk.objects.filter(source_id=entry.pk, text__contains="Swam").exists(), timeout=30,
               what="the edited entry's chunks")
    assert not Chunk.objects.filter(source_id=entry.pk, text__contains="knee").exists()


def test_a_deleted_entry_takes_its_chunks_with_it(patient):
    entry = entry_create(owner=patient, text="A note about my new glasses.")
    indexing.entries_index(entry_ids=[entry.pk])
    assert Chunk.objects.filter(source_type="journal_entry", source_id=entry.pk).exists()
    from journal.services import entry_delete

    entry_delete(entry=entry)
    assert not Chunk.objects.filter(source_type="journal_entry", source_id=entry.pk).exists()


def test_a_patient_reads_their_own_facts(patient):
    record = Patient.objects.create(patient_id="PAT-101", user=patient, name="Alice Example")
    Vital.objects.create(patient=record, kind="heart_rate", value=72, unit="bpm",
                         measured_at=timezone.now() - timedelta(days=1))
    found = passages_search(user=patient, query="what is my heart rate?", k=3)
    facts = [p for p in found if p.source_type == "facts"]
    assert facts and facts[0].title == "Your vitals and medications" and "Heart rate" in facts[0].text
    assert facts[0].url == "/patients/PAT-101/"


def test_a_clinician_reads_an_assigned_patients_facts_and_shared_entries_only(patient, clinician, other_clinician):
    record = Patient.objects.create(patient_id="PAT-102", user=patient, name="Alice Example")
    CareAssignment.objects.create(clinician=clinician, patient=record)
    Vital.objects.create(patient=record, kind="heart_rate", value=118, unit="bpm",
                         measured_at=timezone.now() - timedelta(days=1))
    shared = entry_create(owner=patient, text="My heart was racing all evening.", shared_with_care_team=True)
    private = entry_create(owner=patient, text="My heart was pounding at night, I keep this to myself.")
    for entry in (shared, private):
        indexing.entries_index(entry_ids=[entry.pk])
    found = passages_search(user=clinician, query="heart racing", k=10, patient_id=record.pk)
    sources = {(p.source_type, p.source_id) for p in found}
    assert ("journal_entry", shared.pk) in sources and ("facts", record.pk) in sources
    assert ("journal_entry", private.pk) not in sources
    assert [p.title for p in found if p.source_type == "facts"] == ["Vitals and medications: Alice Example"]
    # Without the chat being about the patient, or not assigned: nothing of hers.
    assert passages_search(user=clinician, query="heart racing", k=10) == []
    assert passages_search(user=other_clinician, query="heart racing", k=10, patient_id=record.pk) == []
    # Once unshared, the entry is out of the care team's reach.
    entry_update(entry=shared, shared_with_care_team=False)
    indexing.entries_index(entry_ids=[shared.pk])
    found = passages_search(user=clinician, query="heart racing", k=10, patient_id=record.pk)
    assert ("journal_entry", shared.pk) not in {(p.source_type, p.source_id) for p in found}
