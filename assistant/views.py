from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assistant import selectors, services
from meditrack.accounts.models import User
from meditrack.inference.selectors import tier_models
from meditrack.inference.types import Task
from meditrack.patients.selectors import patients_visible_to


@login_required
def index(request):
    session = request.user.chat_sessions.first() or services.session_create(owner=request.user)
    return redirect("assistant:session", session_id=session.pk)


@login_required
@require_POST
def new_session(request):
    return redirect("assistant:session", session_id=services.session_create(owner=request.user).pk)


@login_required
def session_page(request, session_id: int):
    session = selectors.session_get(owner=request.user, session_id=session_id)
    reset_at = session.context_reset_at
    messages, divider_shown = [], False
    for m in session.messages.all():
        # The reset divider goes before the first message the model sees again.
        reset_before = bool(reset_at and not divider_shown and m.created_at >= reset_at)
        divider_shown = divider_shown or reset_before
        messages.append((m, services.render_markdown(m.content), reset_before))
    streaming = selectors.reply_streaming(session=session)
    return render(request, "assistant/chat.html", {
        "session": session,
        "sessions": request.user.chat_sessions.all()[:50],
        "messages_html": messages,
        "models": tier_models(tier=request.user.tier, task=Task.CHAT),
        "streaming_id": streaming.pk if streaming else "",
        "reset_at_end": bool(reset_at and not divider_shown),
        # A clinician may ask about one of their patients: that patient's facts and shared entries are sources too.
        "patients": (patients_visible_to(user=request.user).order_by("name")
                     if request.user.role == User.Role.CLINICIAN else []),
    })
