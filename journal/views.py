"""Journal pages. Views parse the form and call the service; the rules live in journal.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from journal import selectors, services
from journal.forms import EntryFilterForm, EntryForm
from meditrack.errors import ApplicationError

PAGE_SIZE = 20
# The entry whose saving found crisis language: the next journal page shows the support resources.
CRISIS_SESSION_KEY = "journal_crisis_entry"


def _crisis_context(request) -> dict:
    """Whether this page opens with the crisis banner shown: right after saving an entry with crisis language.
    The banner is on every journal page, hidden otherwise: journal.js shows it when a crisis notification arrives."""
    return {"crisis_now": request.session.pop(CRISIS_SESSION_KEY, None) is not None,
            "support_resources": services.SUPPORT_RESOURCES}


def _after_save(request, entry) -> None:
    if entry.crisis:
        request.session[CRISIS_SESSION_KEY] = entry.pk


@login_required
@require_http_methods(["GET", "POST"])
def index(request):
    if request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                entry = services.entry_create(owner=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                _after_save(request, entry)
                messages.success(request, "Entry saved.")
                return redirect("journal:index")
    else:
        form = EntryForm(initial={"mood": 5})
    filters = EntryFilterForm(request.GET or None)
    entries = selectors.entries_search(selectors.entries_visible_to(user=request.user), **filters.search_kwargs())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "journal/index.html", {
        "form": form, "filters": filters, "page": page, "query": query.urlencode(),
        **_crisis_context(request)})


@login_required
@require_GET
def detail(request, entry_id: int):
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    return render(request, "journal/detail.html", {"entry": entry, **_crisis_context(request)})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, entry_id: int):
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    if request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            fields = form.service_kwargs(previous_written_at=entry.written_at)
            try:
                entry = services.entry_update(entry=entry, text=fields["text"], written_at=fields["written_at"],
                                              mood=fields["mood"], clear_mood=fields["mood"] is None,
                                              shared_with_care_team=fields["shared_with_care_team"])
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                _after_save(request, entry)
                messages.success(request, "Entry updated.")
                return redirect("journal:detail", entry_id=entry.pk)
    else:
        form = EntryForm(initial={"text": entry.text, "mood": entry.mood or 5, "no_mood": entry.mood is None,
                                  "written_at": entry.written_at,
                                  "shared_with_care_team": entry.shared_with_care_team})
    return render(request, "journal/edit.html", {"entry": entry, "form": form, **_crisis_context(request)})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, entry_id: int):
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    if request.method == "POST":
        services.entry_delete(entry=entry)
        messages.success(request, "Entry deleted.")
        return redirect("journal:index")
    return render(request, "journal/delete.html", {"entry": entry, **_crisis_context(request)})


@login_required
@require_GET
def insights(request):
    # Each insight cites entries by id; the page names them by their local date (and time, for two on one day).
    written = selectors.entries_visible_to(user=request.user).values_list("id", "written_at")
    entry_dates = {entry_id: timezone.localtime(at).strftime("%Y-%m-%dT%H:%M") for entry_id, at in written}
    return render(request, "journal/insights.html", {"entry_dates": entry_dates, **_crisis_context(request)})
