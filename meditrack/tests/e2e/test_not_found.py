"""Another user's entry, conversation or patient is not found: the 404 page, with nothing of theirs on it."""

from django.utils import timezone
from playwright.sync_api import expect

from assistant.models import ChatSession
from journal.models import JournalEntry


def test_a_wrong_user_gets_the_not_found_page(patient, other_patient, other_clinician, record, procfile_stack,
                                              browser):
    entry = JournalEntry.objects.create(owner=patient, text="Alice's private words", written_at=timezone.now())
    conversation = ChatSession.objects.create(owner=patient, title="Alice's private chat")
    base_url = procfile_stack("web")
    pages = {
        browser.open(base_url, user=other_patient): [f"/journal/{entry.pk}/", f"/assistant/{conversation.pk}/"],
        browser.open(base_url, user=other_clinician): ["/patients/PAT-001/", "/reports/new?patient=PAT-001"],
    }
    for page, paths in pages.items():
        for path in paths:
            assert page.goto(path).status == 404, path
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
            expect(page.locator("main")).not_to_contain_text("Alice")
            browser.step(f"not found: {path}")
