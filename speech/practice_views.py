"""The practice page: the lessons are rendered here; practising runs in the browser against the practice API."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from speech import practice_selectors


@login_required
@require_GET
def index(request):
    return render(request, "speech/practice.html", {"lessons": practice_selectors.lessons_list()})
