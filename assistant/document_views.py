"""The documents page: upload, list, delete, and a document opened at a cited passage (#chunk-<id>)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from assistant import documents
from meditrack.errors import ApplicationError


class UploadForm(forms.Form):
    file = forms.FileField(label="File", allow_empty_file=True,
                           help_text="Text, Markdown, PDF or Word (.docx), up to 10 MB and 500 pages.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.pdf,.docx"}))
    title = forms.CharField(label="Title", required=False, max_length=documents.MAX_TITLE,
                            help_text="Leave empty to use the file's name.")


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = documents.document_create(owner=request.user, filename=upload.name, size=upload.size,
                                                 read=upload.read, title=form.cleaned_data["title"])
        except ApplicationError as exc:
            form.add_error("file", exc.detail)
        else:
            messages.success(request, f"“{document.title}” is uploaded: it is being indexed.")
            return redirect("assistant:documents")
    docs = documents.documents_list(owner=request.user)
    return render(request, "assistant/documents.html", {
        "form": form, "documents": docs,
        "indexing": any(d.status == d.Status.INDEXING for d in docs)},
        status=400 if form.errors else 200)


@login_required
@require_GET
def detail(request, document_id: int):
    document = documents.document_get(owner=request.user, document_id=document_id, with_text=True)
    return render(request, "assistant/document.html", {
        "document": document, "sections": documents.document_sections(document=document)})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, document_id: int):
    document = documents.document_get(owner=request.user, document_id=document_id)
    if request.method == "POST":
        documents.document_delete(document=document)
        messages.success(request, f"“{document.title}” is deleted.")
        return redirect("assistant:documents")
    return render(request, "assistant/document_delete.html", {"document": document})
