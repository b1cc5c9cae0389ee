"""Lessons: seeded by a migration, so a fresh install has them, and served to every signed-in user."""

import pytest

from speech.coach import Term, terms_in
from speech.models import Lesson

pytestmark = pytest.mark.django_db
SEEDED = ["Describing symptoms", "Medicines and doses", "Times and dates", "Booking an appointment",
          "Describing pain", "At the pharmacy"]


def test_a_fresh_install_has_the_clinic_lessons_each_with_phrases_and_words():
    assert list(Lesson.objects.values_list("title", flat=True)) == SEEDED
    for lesson in Lesson.objects.prefetch_related("phrases", "terms"):
        phrases = [p.text for p in lesson.phrases.all()]
        assert len(phrases) >= 7 and lesson.terms.count() >= 7 and lesson.description
        for term in lesson.terms.all():
            # A word enters a user's vocabulary when a phrase uses it: each one must be used.
            assert any(terms_in(text, [Term(term.term, "")]) for text in phrases), (lesson.title, term.term)
