"""manage.py analyze_journal: re-analyse on the workers after a tier's models changed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from journal import services
from journal.models import EntryAnalysis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def analysed(patient, other_patient, offline_models):
    for owner in (patient, other_patient):
        for text in ("A calm morning.", "A stressful afternoon."):
            services.entry_create(owner=owner, text=text)
    services.analysis_run_batch(tier="standard")
    assert EntryAnalysis.objects.filter(status="done", attempts=1).count() == 4


def run(*args) -> str:
    out = StringIO()
    call_command("analyze_journal", *args, stdout=out)
    return out.getvalue()


def test_it_redoes_only_the_stale_analyses(analysed, patient, worker):
    stale = EntryAnalysis.objects.filter(entry__owner=patient).first()
    EntryAnalysis.objects.filter(pk=stale.pk).update(sentiment_model="retired-model")

    output = run("--all", "--stale", "--timeout", "120")

    assert "1 entry queued" in output
    stale.refresh_from_db()
    assert (stale.status, stale.sentiment_model, stale.attempts) == ("done", "meditrack-sentiment", 2)
    assert EntryAnalysis.objects.filter(attempts=1).count() == 3


def test_it_redoes_one_users_journal(analysed, patient, worker):
    output = run("--user", patient.email.upper(), "--timeout", "120")

    assert "2 entries queued" in output
    assert set(EntryAnalysis.objects.filter(entry__owner=patient).values_list("status", "attempts")) == {("done", 2)}
    assert set(EntryAnalysis.objects.exclude(entry__owner=patient).values_list("attempts", flat=True)) == {1}


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user"):
        run("--user", "nobody@example.com")
