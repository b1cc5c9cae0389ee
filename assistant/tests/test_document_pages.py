"""The documents page: upload, list, open at a passage, delete; someone else's document is a 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assistant import indexing
from assistant.models import Chunk, Document
from assistant.tests import samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline_models")]

TEXT = "# Sleep\n" + " ".join(f"Advice number {i}: keep a regular bedtime and a dark room." for i in range(60))


@pytest.fixture
def browser(patient):
    client = Client()
    client.force_login(patient)
    return client


def test_upload_list_open_at_a_passage_and_delete(browser, patient):
    response = browser.post("/assistant/documents/", {"file": SimpleUploadedFile("sleep.md", TEXT.encode()),
                                                      "title": "Sleep advice"})
    assert response.status_code == 302
    document = Document.objects.get(owner=patient)
    page = browser.get("/assistant/documents/").content.decode()
    assert "Sleep advice" in page and "indexing" in page and "data-refresh-while-indexing" in page
    indexing.document_index(document_id=document.pk)
    page = browser.get("/assistant/documents/").content.decode()
    assert "ready" in page and "data-refresh-while-indexing" not in page
    chunks = list(Chunk.objects.filter(document=document).order_by("position"))
    assert len(chunks) > 2
    opened = browser.get(f"/assistant/documents/{document.pk}/").content.decode()
    for chunk in chunks:
        assert f'id="chunk-{chunk.pk}"' in opened
    assert opened.count("Advice number 59") == 1  # overlapping passages are shown once
    assert browser.post(f"/assistant/documents/{document.pk}/delete/").status_code == 302
    assert not Document.objects.exists() and not Chunk.objects.exists()


def test_a_refused_file_is_shown_on_the_form(browser):
    response = browser.post("/assistant/documents/", {"file": SimpleUploadedFile("photo.txt", samples.PNG)})
    assert response.status_code == 400
    assert "Upload a text, Markdown, PDF or Word (.docx) file." in response.content.decode()
    assert not Document.objects.exists()


def test_someone_elses_document_is_a_404(browser, other_patient):
    document = Document.objects.create(owner=other_patient, title="Bob's", filename="b.txt", media_type="text/plain",
                                       size_bytes=1, upload=b"b")
    assert browser.get(f"/assistant/documents/{document.pk}/").status_code == 404
    assert browser.post(f"/assistant/documents/{document.pk}/delete/").status_code == 404
    assert Document.objects.filter(pk=document.pk).exists()


def test_the_page_needs_a_login(client):
    assert client.get("/assistant/documents/").status_code == 302
