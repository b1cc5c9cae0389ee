"""An entry whose analysis kills its worker (out of memory, a crash in a model's native code) is not redelivered
for ever: entries a dead run held are tried alone, and one MAX_LOST_RUNS runs died holding ends failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from journal import services
from journal.models import EntryAnalysis
from journal.tests.test_analysis import hosted  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def a_run_dies_holding_its_claim():
    """What a run whose worker was killed after claiming leaves: the claim, never released, then expired."""
    claimed = [pk for pk, *_ in services._claim(tier="standard", batch_size=services.ANALYSIS_BATCH)]
    EntryAnalysis.objects.filter(pk__in=claimed).update(claimed_until=timezone.now() - timedelta(seconds=1))
    return claimed


def sent_texts(server):
    inputs = [r.json["inputs"] for r in server.requests if r.path.endswith("/org/sentiment")]
    return [text for i in inputs for text in (i if isinstance(i, list) else [i])]


def test_entries_a_dead_run_held_are_tried_one_at_a_time(patient, hosted):  # noqa: F811
    entries = [services.entry_create(owner=patient, text=f"Ordinary day {i}.") for i in range(3)]
    assert len(a_run_dies_holding_its_claim()) == 3

    assert [services.analysis_run_batch(tier="standard") for _ in range(3)] == [1, 1, 1]
    assert len(sent_texts(hosted)) == 3
    assert set(EntryAnalysis.objects.filter(entry__in=entries).values_list("status", flat=True)) == {"done"}


def test_an_entry_whose_runs_kept_dying_ends_failed_and_the_others_go_on(patient, hosted):  # noqa: F811
    killer = services.entry_create(owner=patient, text="An entry that takes its worker down.")
    for _ in range(services.MAX_LOST_RUNS):
        assert a_run_dies_holding_its_claim() == [killer.analysis.pk]
    other = services.entry_create(owner=patient, text="An ordinary day.")

    assert services.analysis_run_batch(tier="standard") == 1
    assert EntryAnalysis.objects.get(entry=killer).status == "failed"
    assert EntryAnalysis.objects.get(entry=other).status == "done"
    assert killer.text not in sent_texts(hosted)
