"""Documents: the upload checked and saved for indexing, reads through the owner only, delete with its chunks."""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.http import Http404

from assistant import document_files, indexing
from assistant.models import Chunk, Document
from meditrack.accounts.models import User
from meditrack.errors import ApplicationError

MAX_TITLE = 200


def _rejected(exc: document_files.DocumentRejected) -> ApplicationError:
    return ApplicationError(str(exc), code=exc.code, status_code=exc.status, fields={"file": [str(exc)]})


def _title_clean(title: str) -> str:
    title = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in title or "")
    return re.sub(r"\s+", " ", title).strip()[:MAX_TITLE]


def document_create(*, owner: User, filename: str, size: int, read, title: str | None = None) -> Document:
    """Check an upload (size before reading it, then its kind from its bytes, a PDF's pages) and save it to be
    indexed by a worker. `read(n)` reads at most n bytes of the file."""
    # The declared size refuses a large file unread; the bytes read refuse one that declared less.
    data = read(document_files.MAX_BYTES + 1) if size <= document_files.MAX_BYTES else None
    if data is None or len(data) > document_files.MAX_BYTES:
        raise ApplicationError(f"A document is limited to {document_files.MAX_BYTES // (1024 * 1024)} MB.",
                               code="too_large", status_code=413, fields={"file": ["Too large."]})
    filename = document_files.filename_clean(filename)
    try:
        media_type = document_files.media_type_sniff(data, filename=filename)
        pages = document_files.pages_count(data, media_type=media_type)
    except document_files.DocumentRejected as exc:
        raise _rejected(exc) from None
    title = _title_clean(title or "") or filename
    with transaction.atomic():
        document = Document.objects.create(owner=owner, title=title, filename=filename, media_type=media_type,
                                           size_bytes=len(data), pages=pages, upload=data)
        indexing.document_index_enqueue(document=document,
                                        undo=lambda: Document.objects.filter(pk=document.pk).delete())
    return document


def document_delete(*, document: Document) -> None:
    """The document and its chunks, at once: a search after this never finds them."""
    with transaction.atomic():
        # Locked first, as the indexer locks it to save the chunks: those are saved before the delete collects
        # them, where their foreign key refused the delete at commit.
        Document.objects.select_for_update().filter(pk=document.pk).first()
        document.delete()


# ---- reads

def documents_list(*, owner: User):
    return Document.objects.filter(owner=owner).defer("upload", "text")


def document_get(*, owner: User, document_id: int, with_text: bool = False) -> Document:
    """The owner's document, or 404 whether or not someone else's exists."""
    documents = Document.objects.defer("upload") if with_text else Document.objects.defer("upload", "text")
    try:
        return documents.get(pk=document_id, owner=owner)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise Http404("No such document.") from None


def document_sections(*, document: Document) -> list[dict]:
    """The document's text in order, in pieces: one for each chunk, from where it begins to where it ends or the
    next begins (chunks overlap; each word is shown once), carrying the chunk's id (the anchor a citation
    opens), and between them what no chunk holds (headings). Each piece is a list of blocks: a heading
    ({"heading", "level"}) or a paragraph ({"text"})."""
    spans = list(Chunk.objects.filter(document=document).order_by("position")
                 .values_list("pk", "char_start", "char_end"))
    text, cursor, sections = document.text, 0, []

    def add(chunk_id: int | None, start: int, end: int) -> None:
        blocks = [_block(part.strip()) for part in re.split(r"\n\s*\n", text[start:end]) if part.strip()]
        if blocks:
            sections.append({"chunk_id": chunk_id, "blocks": blocks})

    for i, (chunk_id, start, end) in enumerate(spans):
        start = max(start, cursor)
        stop = min(end, spans[i + 1][1]) if i + 1 < len(spans) else end
        add(None, cursor, start)
        add(chunk_id, start, max(start, stop))
        cursor = max(cursor, stop)
    add(None, cursor, len(text))
    return sections


_HEADING_LINE = re.compile(r"#{1,6}[ \t]+\S")


def _block(part: str) -> dict:
    if _HEADING_LINE.match(part) and "\n" not in part:
        marks, title = part.split(None, 1)
        return {"heading": title.strip().rstrip("#").strip(), "level": min(len(marks) + 1, 6)}
    return {"text": part}
