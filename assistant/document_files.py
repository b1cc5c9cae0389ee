"""Uploaded files: what they are (from their bytes, not their name), a safe name to show, and their text.
Imports nothing from Django.

Text and Markdown are read as UTF-8; PDF by pypdf; Word (.docx) by python-docx, its heading styles written
as Markdown headings so the chunker keeps them.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

MAX_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 500
MAX_TEXT_CHARS = 2_000_000
# Of a .docx's parts, uncompressed: a few kilobytes may unzip to gigabytes.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_CHUNKS = 5000
MAX_FILENAME = 120

PLAIN, MARKDOWN, PDF = "text/plain", "text/markdown", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES = (PLAIN, MARKDOWN, PDF, DOCX)
_MARKDOWN_SUFFIXES = (".md", ".markdown")


class DocumentRejected(Exception):
    """A file that is not taken, with the HTTP status that says why: 400 unreadable, 413 too large,
    415 not a kind we read."""

    def __init__(self, detail: str, *, code: str, status: int):
        super().__init__(detail)
        self.code = code
        self.status = status


def _unsupported(what: str) -> DocumentRejected:
    return DocumentRejected(f"{what} Upload a text, Markdown, PDF or Word (.docx) file.", code="unsupported_type",
                            status=415)


def _unreadable(detail: str) -> DocumentRejected:
    return DocumentRejected(detail, code="unreadable_document", status=400)


def _too_large(detail: str) -> DocumentRejected:
    return DocumentRejected(detail, code="too_large", status=413)


def filename_clean(name: str) -> str:
    """The name without any folder, control or format characters, or leading dots, cut to MAX_FILENAME
    characters (keeping its extension): safe in a page, a header or a log."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(ch if unicodedata.category(ch)[0] not in "CZ" else " " for ch in name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        suffix = suffix[:10] if dot and stem else ""
        name = name[:MAX_FILENAME - len(suffix) - 1].rstrip() + ("." + suffix if suffix else "")
    return name or "document"


def media_type_sniff(data: bytes, *, filename: str) -> str:
    """The kind of file the bytes are. The name only tells Markdown from plain text, which read alike."""
    if not data:
        raise _unreadable("The file is empty.")
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            raise _unreadable("The file is a damaged archive.") from None
        raise _unsupported("This archive is not a Word document.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _unsupported("This file is neither UTF-8 text nor a document we read.") from None
    # Text has no NUL and few control characters; a binary format that happens to decode has many.
    controls = sum(1 for ch in text[:10000] if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if "\x00" in text or controls > len(text[:10000]) // 100:
        raise _unsupported("This file is not text.")
    return MARKDOWN if filename.lower().endswith(_MARKDOWN_SUFFIXES) else PLAIN


def pages_count(data: bytes, *, media_type: str) -> int | None:
    """A PDF's pages, checked to be readable, unencrypted and within MAX_PDF_PAGES; None for other kinds."""
    if media_type != PDF:
        return None
    reader = _pdf_reader(data)
    try:
        pages = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds of error for a broken page tree
        raise _unreadable("The PDF is damaged: its pages cannot be read.") from exc
    if pages == 0:
        raise _unreadable("The PDF has no pages.")
    if pages > MAX_PDF_PAGES:
        raise _too_large(f"The PDF has {pages} pages: at most {MAX_PDF_PAGES}.")
    return pages


def _pdf_reader(data: bytes):
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf's PdfReadError and the parser's own ValueError/KeyError on garbage
        raise _unreadable("The PDF is damaged and cannot be read.") from exc
    if reader.is_encrypted:
        raise _unreadable("The PDF is encrypted: upload a copy without a password.")
    return reader


def text_extract(data: bytes, *, media_type: str) -> str:
    """The file's text, at most MAX_TEXT_CHARS characters."""
    if media_type == PDF:
        text = _pdf_text(data)
    elif media_type == DOCX:
        text = _docx_text(data)
    elif media_type in (PLAIN, MARKDOWN):
        text = data.decode("utf-8-sig")
    else:
        raise _unsupported(f"{media_type} is not read.")
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if len(text) > MAX_TEXT_CHARS:
        raise _too_large(f"The file holds more than {MAX_TEXT_CHARS:,} characters of text.")
    return text


def _pdf_text(data: bytes) -> str:
    pages, total = [], 0
    for page in _pdf_reader(data).pages:
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # a damaged content stream
            raise _unreadable("A page of the PDF is damaged and cannot be read.") from exc
        total += len(text)
        if total > MAX_TEXT_CHARS:
            raise _too_large(f"The file holds more than {MAX_TEXT_CHARS:,} characters of text.")
        pages.append(text.strip())
    return "\n\n".join(page for page in pages if page)


def _docx_text(data: bytes) -> str:
    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise _too_large("The Word document unpacks to more than 50 MB.")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx and lxml raise their own errors for a broken package
        raise _unreadable("The Word document is damaged and cannot be read.") from exc
    lines = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        level = re.fullmatch(r"Heading ([1-6])", paragraph.style.name if paragraph.style is not None else "")
        lines.append(f"{'#' * int(level.group(1))} {text}" if level else text)
    return "\n\n".join(lines)
