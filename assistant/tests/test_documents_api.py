"""The documents API: upload, index on a worker, list, read, delete; every bad file a clear 4xx."""

import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assistant import document_files, indexing
from assistant.models import Chunk, Document
from assistant.retrieval import passages_search
from assistant.tests import samples
from meditrack.testing.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline_models")]

URL = "/api/v1/documents"
LEAFLET = b"# Asthma\n## Inhalers\nUse your preventer inhaler every morning and evening, even when you feel well.\n"


def upload(client, content: bytes, name: str = "leaflet.md", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **fields}, format="multipart")


def indexed(document_id: int) -> Document:
    return wait_until(lambda: Document.objects.filter(pk=document_id).exclude(status="indexing").first(),
                      what="the document's indexing")


def test_an_upload_is_indexed_by_a_worker_and_then_found(patient_api, patient, worker):
    response = upload(patient_api, LEAFLET, title="  Asthma care  ")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["title"], body["filename"], body["media_type"], body["status"]) == (
        "Asthma care", "leaflet.md", "text/markdown", "indexing")
    document = indexed(body["id"])
    assert document.status == "ready" and document.chunk_count == 1 and document.upload is None
    detail = patient_api.get(f"{URL}/{document.pk}").json()
    assert (detail["status"], detail["chunk_count"], detail["failure_reason"]) == ("ready", 1, "")
    assert [d["id"] for d in patient_api.get(URL).json()["results"]] == [document.pk]
    assert passages_search(user=patient, query="preventer inhaler")[0].source_id == document.pk


def test_pdf_and_word_documents_are_read(patient_api, worker):
    pdf = upload(patient_api, samples.pdf_with_text(["Metformin is taken with meals."], ["Page two."]), "plan.pdf")
    word = upload(patient_api, samples.docx(("Care plan", 1), ("Walk for thirty minutes a day.", None)), "plan.docx")
    assert pdf.status_code == word.status_code == 202
    assert pdf.json()["pages"] == 2 and pdf.json()["media_type"] == document_files.PDF
    assert indexed(pdf.json()["id"]).text == "Metformin is taken with meals.\n\nPage two."
    word_doc = indexed(word.json()["id"])
    assert word_doc.status == "ready"
    assert Chunk.objects.get(document=word_doc).text == "Care plan\nWalk for thirty minutes a day."


def test_delete_takes_the_chunks_with_it(patient_api, patient):
    document_id = upload(patient_api, LEAFLET).json()["id"]
    indexing.document_index(document_id=document_id)
    assert Chunk.objects.filter(document_id=document_id).exists()
    assert patient_api.delete(f"{URL}/{document_id}").status_code == 204
    assert not Chunk.objects.filter(document_id=document_id).exists()
    assert passages_search(user=patient, query="preventer inhaler") == []
    assert patient_api.get(f"{URL}/{document_id}").status_code == 404


def test_another_users_document_is_a_404(patient_api, other_patient_api):
    document_id = upload(patient_api, LEAFLET).json()["id"]
    assert other_patient_api.get(f"{URL}/{document_id}").status_code == 404
    assert other_patient_api.delete(f"{URL}/{document_id}").status_code == 404
    assert other_patient_api.get(URL).json()["results"] == []
    assert Document.objects.filter(pk=document_id).exists()


def test_anonymous_is_refused(api):
    assert api.get(URL).status_code == 401


def test_a_file_without_text_fails_with_a_reason_and_no_chunks(patient_api):
    document_id = upload(patient_api, samples.pdf_blank(3), "scan.pdf").json()["id"]
    indexing.document_index(document_id=document_id)
    document = Document.objects.get(pk=document_id)
    assert (document.status, document.failure_reason, document.chunk_count) == (
        "failed", "No text was found in the file.", 0)
    assert not Chunk.objects.filter(document=document).exists()
    assert document.upload is None


def test_a_failed_reindex_leaves_nothing_half_indexed(patient_api):
    document_id = upload(patient_api, LEAFLET).json()["id"]
    indexing.document_index(document_id=document_id)
    # The same document once more, from a file that turns out to be unreadable.
    Document.objects.filter(pk=document_id).update(upload=b"%PDF-1.4 broken", media_type=document_files.PDF)
    indexing.document_index(document_id=document_id)
    document = Document.objects.get(pk=document_id)
    assert document.status == "failed" and document.failure_reason == "The PDF is damaged and cannot be read."
    assert document.chunk_count == 0 and not Chunk.objects.filter(document=document).exists()


# ---- bad input

@pytest.mark.parametrize(("content", "name", "status", "code"), [
    (b"", "empty.txt", 400, "unreadable_document"),
    (samples.PNG, "photo.txt", 415, "unsupported_type"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "notes.pdf", 415, "unsupported_type"),
    (b"PK\x03\x04" + b"\x00" * 40, "letter.docx", 400, "unreadable_document"),
    (b"%PDF-1.7\n1 0 obj garbage", "corrupt.pdf", 400, "unreadable_document"),
])
def test_a_bad_file_is_a_clear_4xx(patient_api, content, name, status, code):
    response = upload(patient_api, content, name)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code and "file" in response.json()["error"]["fields"]
    assert not Document.objects.exists()


def test_an_encrypted_pdf_is_refused(patient_api):
    response = upload(patient_api, samples.pdf_encrypted(), "letter.pdf")
    assert response.status_code == 400
    assert "encrypted" in response.json()["error"]["detail"]


def test_a_pdf_of_ten_thousand_blank_pages_is_too_large(patient_api):
    response = upload(patient_api, samples.pdf_blank(10_000), "blank.pdf")
    assert response.status_code == 413
    assert response.json()["error"]["detail"] == f"The PDF has 10000 pages: at most {document_files.MAX_PDF_PAGES}."


def test_an_oversize_file_is_too_large(patient_api):
    response = upload(patient_api, b"a" * (document_files.MAX_BYTES + 1), "big.txt")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_no_file_is_a_400(patient_api):
    response = patient_api.post(URL, {"title": "nothing"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


def test_a_json_body_is_refused(patient_api):
    assert patient_api.post(URL, {"file": "x"}, format="json").status_code == 415


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "C:\\Users\\eve\\notes.md", "evil\x07name\t\x1b[31m.txt",
                                  "\u202etxt.exe\u202c.md", "..."])
def test_a_filename_loses_its_folders_and_control_characters(patient_api, name):
    response = upload(patient_api, b"Plain notes about my sleep.", name)
    assert response.status_code == 202, response.content
    kept = response.json()["filename"]
    assert kept and not set(kept) & {"/", "\\"} and not kept.startswith(".")
    assert all(unicodedata.category(ch)[0] != "C" for ch in kept)
