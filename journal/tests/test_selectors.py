import numpy as np
import pytest

from journal import selectors, services
from journal.models import EntryAnalysis

pytestmark = pytest.mark.django_db


def test_it_reads_each_entrys_embedding_exactly_and_none_for_pending_ones(patient, other_patient):
    analysed = services.entry_create(owner=patient, text="analysed")
    services.entry_create(owner=patient, text="pending")
    services.entry_create(owner=other_patient, text="someone else's")
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    EntryAnalysis.objects.filter(entry=analysed).update(status="done", score=0.25, sentiment_label="positive",
                                                        embedding=vector, emotions=[{"label": "joy", "score": 0.7}])

    facts = {f.text: f for f in selectors.entry_facts(owner_id=patient.pk)}

    assert set(facts) == {"analysed", "pending"}
    np.testing.assert_array_equal(facts["analysed"].embedding, vector)
    assert (facts["analysed"].score, facts["analysed"].emotions) == (0.25, [("joy", 0.7)])
    assert facts["pending"].embedding is None and facts["pending"].score is None
