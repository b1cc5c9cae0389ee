"""Uploaded files read from their bytes: kinds, names, PDFs and Word documents (no database)."""

import pytest

from assistant import document_files as files
from assistant.tests import samples


@pytest.mark.parametrize(("name", "kept"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\eve\\notes.md", "notes.md"),
    ("evil\x00name\r\n.txt", "evil name .txt"),
    ("\u202etxt.exe\u202c.md", "txt.exe .md"),
    ("...", "document"),
    ("", "document"),
    ("a" * 300 + ".pdf", "a" * (files.MAX_FILENAME - 4) + ".pdf"),
])
def test_filename_clean(name, kept):
    assert files.filename_clean(name) == kept


@pytest.mark.parametrize(("content", "name", "kind"), [
    (b"Plain words.", "notes.txt", files.PLAIN),
    (b"# Heading\nText", "notes.MD", files.MARKDOWN),
    ("\ufeffCaf\u00e9 au lait".encode(), "notes", files.PLAIN),
    (b"Text, whatever its name says.", "scan.pdf", files.PLAIN),
    (samples.pdf_with_text(["x"]), "file.txt", files.PDF),
    (samples.docx(("x", None)), "file.bin", files.DOCX),
])
def test_the_kind_comes_from_the_bytes(content, name, kind):
    assert files.media_type_sniff(content, filename=name) == kind


@pytest.mark.parametrize(("content", "status"), [
    (b"", 400), (samples.PNG, 415), (b"\x00\x01\x02\x03binary", 415), (b"PK\x03\x04garbage", 400),
    (b"text\x01\x02\x03\x04" * 10, 415),
])
def test_what_is_not_read_is_refused(content, status):
    with pytest.raises(files.DocumentRejected) as refused:
        files.media_type_sniff(content, filename="x.txt")
    assert refused.value.status == status


def test_an_archive_that_is_not_a_word_document_is_unsupported():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(files.DocumentRejected) as refused:
        files.media_type_sniff(out.getvalue(), filename="x.docx")
    assert refused.value.status == 415


def test_pdf_pages_and_text():
    pdf = samples.pdf_with_text(["Line one.", "Line (two)."], ["Second page."])
    assert files.pages_count(pdf, media_type=files.PDF) == 2
    assert files.text_extract(pdf, media_type=files.PDF) == "Line one.\nLine (two).\n\nSecond page."
    assert files.pages_count(b"text", media_type=files.PLAIN) is None


@pytest.mark.parametrize(("content", "status"), [
    (samples.pdf_encrypted(), 400),
    (samples.pdf_blank(files.MAX_PDF_PAGES + 1), 413),
    (b"%PDF-1.4\n%%EOF", 400),
    (samples.pdf_with_text(["Cut short."])[:150], 400),
])
def test_pdfs_that_are_refused(content, status):
    with pytest.raises(files.DocumentRejected) as refused:
        files.pages_count(content, media_type=files.PDF)
    assert refused.value.status == status


def test_word_headings_become_markdown_headings():
    content = samples.docx(("Care plan", 1), ("Take your tablets.", None), ("Exercise", 2), ("Walk.", None))
    assert files.text_extract(content, media_type=files.DOCX) == (
        "# Care plan\n\nTake your tablets.\n\n## Exercise\n\nWalk.")


def test_too_much_text_is_too_large(monkeypatch):
    monkeypatch.setattr(files, "MAX_TEXT_CHARS", 10)
    with pytest.raises(files.DocumentRejected) as refused:
        files.text_extract(b"more than ten characters", media_type=files.PLAIN)
    assert refused.value.status == 413
