"""The issue's "done when", for real: the demo patient James Chen asks the packaged models how his mood has been,
and the answer is built from his journal entries, with citations that open them and nothing that is not in them."""

import html
import importlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assistant import extractive, indexing, services
from journal.models import JournalEntry
from journal.services import analysis_run_batch
from meditrack.accounts.models import User
from meditrack.celery import app as celery_app
from meditrack.demo.people import JAMES
from meditrack.demo.seed import seed_demo
from meditrack.testing.factories import model, serve, tier

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline_models")]

QUESTION = "How has my mood been over the last two weeks according to my journal?"
# The registry's own entry for the packaged chat model, as its migration registers it.
REGISTERED = {row[0]: row for row in importlib.import_module("meditrack.inference.migrations.0003_defaults").LOCAL}
QUOTE = re.compile(r"^- \*\*(?P<title>.+?)\*\*: “(?P<text>.+)” \[(?P<n>\d+)\]$")


@pytest.fixture
def packaged_chat(offline_models):
    slug, _, backend, model_id, queue, window, params = REGISTERED["gemma-3-270m"]
    serve(tier("standard", max_new_tokens=512), model(slug, backend=backend, model_id=model_id, queue=queue,
                                                      context_window=window, parameters=params, timeout_s=300))


@pytest.fixture
def james():
    seed_demo()
    james = User.objects.get(email=JAMES)
    # Only his journal is analysed and indexed: the others' would only cost time here.
    JournalEntry.objects.exclude(owner=james).delete()
    while analysis_run_batch(tier=james.tier):
        pass
    indexing.entries_index(entry_ids=list(james.journal_entries.values_list("pk", flat=True)))
    yield james
    celery_app.control.purge()  # the analysis runs the seed queued for a worker this test does without


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.timeout(900)
def test_james_asks_how_his_mood_has_been_and_hears_his_own_journal(james, packaged_chat):
    session = services.session_create(owner=james)
    asked = session.messages.create(role="user", content=QUESTION)
    reply = session.messages.create(role="assistant", status="streaming", reply_to=asked)
    services.reply_generate(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.status == "complete" and reply.model == "gemma-3-270m"
    assert reply.grounding in ("checked", "fallback") and reply.citations
    entries = {e.pk: e for e in james.journal_entries.all()}
    browser = Client()
    browser.force_login(james)
    for citation in reply.citations:
        assert citation["source_type"] == "journal_entry" and citation["source_id"] in entries
        entry = entries[citation["source_id"]]
        assert citation["url"] == f"/journal/{entry.pk}/" and citation["title"] == indexing.entry_title(entry)
        page = browser.get(citation["url"])
        assert page.status_code == 200 and entry.text[:40] in html.unescape(page.content.decode())
    if reply.grounding == "fallback":
        lead, blank, *quotes = reply.content.splitlines()
        assert (lead, blank) == (extractive.FALLBACK_LEAD, "") and quotes
        cited = {c["n"]: entries[c["source_id"]] for c in reply.citations}
        fortnight = timezone.localdate() - timedelta(days=14)
        for line in quotes:
            quote = QUOTE.match(line)
            entry = cited[int(quote["n"])]
            # Every sentence is his, word for word, from an entry of the fortnight he asked about.
            assert unescaped(quote["text"]).removesuffix("…") in " ".join(entry.text.split())
            assert timezone.localtime(entry.written_at).date() >= fortnight
