"""manage.py reindex: a user's sources (or everyone's) indexed again, with a progress bar."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assistant.models import Chunk, Document
from journal.models import JournalEntry
from meditrack.patients.models import Patient, Vital

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline_models")]


def test_reindex_a_user(patient, other_patient):
    # Written as a seed or an import writes them: without the services, so nothing was indexed.
    entries = JournalEntry.objects.bulk_create([
        JournalEntry(owner=patient, text=f"Day {i}: slept badly.", written_at=timezone.now()) for i in range(3)])
    JournalEntry.objects.create(owner=other_patient, text="Not hers.", written_at=timezone.now())
    document = Document.objects.create(owner=patient, title="Notes", filename="n.txt", media_type="text/plain",
                                       size_bytes=5, upload=b"Notes about sleep.")
    record = Patient.objects.create(patient_id="PAT-301", user=patient, name="Alice Example")
    Vital.objects.create(patient=record, kind="weight", value=70, unit="kg", measured_at=timezone.now() - timedelta(1))
    out = io.StringIO()
    call_command("reindex", "--user", "ALICE@example.com", stdout=out)
    assert "5 sources indexed." in out.getvalue() and "5/5" in out.getvalue()
    assert set(Chunk.objects.values_list("source_type", "source_id")) == {
        *(("journal_entry", e.pk) for e in entries), ("document", document.pk), ("facts", record.pk)}
    # Again: the same chunks, not twice as many.
    call_command("reindex", "--user", "alice@example.com", stdout=io.StringIO())
    assert Chunk.objects.count() == 5


def test_reindex_all_includes_patients_without_an_account(patient, other_patient):
    JournalEntry.objects.create(owner=other_patient, text="Hers.", written_at=timezone.now())
    record = Patient.objects.create(patient_id="PAT-302", name="No Account")
    out = io.StringIO()
    call_command("reindex", "--all", stdout=out)
    assert Chunk.objects.filter(source_type="facts", source_id=record.pk, owner=None).exists()
    assert Chunk.objects.filter(owner=other_patient).count() == 1


def test_an_unknown_user_is_an_error():
    with pytest.raises(CommandError):
        call_command("reindex", "--user", "nobody@example.com")
