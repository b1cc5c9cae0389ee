"""A journal entry or a document deleted while the indexer saves its passages: the delete waits for them and takes
them along. It collected the passages before they were saved, and their foreign key, checked at commit, refused
it: a 500 that the API fuzz test found (DELETE /api/v1/journal/entries/<id> while the entry was being indexed)."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from assistant import documents, indexing
from assistant.models import Chunk, Document
from journal import services as journal
from journal.models import JournalEntry
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedder(model_server):
    model_server.embedding_dim = 384
    serve(tier(), model("embedder", task="embedding", backend="hf_inference", base_url=model_server.base_url,
                        model_id="meditrack/loopback-embedder"))


def deleted_while_indexed(lock, delete, index) -> list[BaseException]:
    """Run `delete` in a thread of its own while the indexer's transaction holds the row (`lock`), then `index`
    in that transaction; the errors the delete raised."""
    errors = []

    def deleting():
        try:
            delete()
        except BaseException as exc:  # noqa: B036 - the test reports it
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        lock()  # as the indexer locks it, a moment earlier
        thread = threading.Thread(target=deleting)
        thread.start()
        with connection.cursor() as cursor:
            def delete_waits():
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                return cursor.fetchone()[0]
            wait_until(delete_waits, what="the delete waiting for the row")
        index()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the delete never finished"
    return errors


def test_an_entry_deleted_while_its_passages_are_saved_goes_with_them(patient, embedder):
    entry = JournalEntry.objects.create(owner=patient, text="Slept well, a short walk.", written_at=timezone.now())

    errors = deleted_while_indexed(lambda: JournalEntry.objects.select_for_update().get(pk=entry.pk),
                                   lambda: journal.entry_delete(entry=JournalEntry.objects.get(pk=entry.pk)),
                                   lambda: indexing.entries_index(entry_ids=[entry.pk]))

    assert errors == []
    assert not JournalEntry.objects.exists() and not Chunk.objects.exists()


def test_a_document_deleted_while_its_passages_are_saved_goes_with_them(patient, embedder):
    document = Document.objects.create(owner=patient, title="Plan", filename="plan.txt", media_type="text/plain",
                                       size_bytes=22, upload=b"Walk twenty minutes a day.")

    errors = deleted_while_indexed(lambda: Document.objects.select_for_update().get(pk=document.pk),
                                   lambda: documents.document_delete(document=Document.objects.get(pk=document.pk)),
                                   lambda: indexing.document_index(document_id=document.pk))

    assert errors == []
    assert not Document.objects.exists() and not Chunk.objects.exists()
