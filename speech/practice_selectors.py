"""Speech practice reads: lessons, a user's vocabulary, their sessions and turns (404 for anyone else's)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from speech.models import Lesson, PracticeSession, PracticeTurn, VocabularyItem


def lessons_list() -> QuerySet[Lesson]:
    return Lesson.objects.filter(published=True).annotate(phrase_count=Count("phrases", distinct=True),
                                                          term_count=Count("terms", distinct=True)
                                                          ).order_by("position", "id")


def lesson_get(*, lesson_id: int) -> Lesson:
    lesson = Lesson.objects.filter(pk=lesson_id, published=True).prefetch_related("phrases", "terms").first()
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


def vocabulary_list(*, user, due_only: bool = False, stage: str | None = None) -> QuerySet[VocabularyItem]:
    """The user's words, those due for review first."""
    items = VocabularyItem.objects.filter(owner=user).select_related("lesson")
    if due_only:
        items = items.filter(due_at__lte=timezone.now())
    if stage:
        items = items.filter(stage=stage)
    return items.order_by("due_at", "id")


def vocabulary_item_get(*, user, item_id: int) -> VocabularyItem:
    item = VocabularyItem.objects.filter(pk=item_id, owner=user).select_related("lesson").first()
    if item is None:
        raise Http404("No such word.")
    return item


def practice_session_get(*, user, session_id: int, with_turns: bool = False) -> PracticeSession:
    sessions = PracticeSession.objects.filter(pk=session_id, owner=user).select_related("lesson")
    if with_turns:
        sessions = sessions.prefetch_related(Prefetch("turns", PracticeTurn.objects.order_by("number")))
    session = sessions.first()
    if session is None:
        raise Http404("No such practice session.")
    return session


def practice_turn_get(*, user, session_id: int, turn_id: int) -> PracticeTurn:
    turn = PracticeTurn.objects.filter(pk=turn_id, session_id=session_id, session__owner=user).first()
    if turn is None:
        raise Http404("No such turn.")
    return turn
