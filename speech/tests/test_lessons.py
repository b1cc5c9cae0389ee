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


def test_lessons_are_listed_with_their_levels_and_sizes(patient_api):
    lessons = patient_api.get("/api/v1/lessons").json()["results"]
    assert [lesson["title"] for lesson in lessons] == SEEDED
    symptoms = lessons[0]
    assert symptoms["level"] == "beginner" and symptoms["phrase_count"] == 8 and symptoms["vocabulary_count"] == 10


def test_a_lesson_gives_its_phrases_in_order_and_its_vocabulary(patient_api):
    lesson = Lesson.objects.get(title="Describing symptoms")
    body = patient_api.get(f"/api/v1/lessons/{lesson.pk}").json()
    assert body["title"] == "Describing symptoms"
    assert body["phrases"][0] == {"id": body["phrases"][0]["id"], "text": "I have been feeling sick since yesterday.",
                                  "hint": "Say what is wrong and since when."}
    assert {"term": "dizzy", "meaning": "feeling that everything is spinning"}.items() <= next(
        v for v in body["vocabulary"] if v["term"] == "dizzy").items()


def test_an_unpublished_or_unknown_lesson_is_not_offered(patient_api, api):
    draft = Lesson.objects.create(title="Draft", published=False)
    assert "Draft" not in [lesson["title"] for lesson in patient_api.get("/api/v1/lessons").json()["results"]]
    assert patient_api.get(f"/api/v1/lessons/{draft.pk}").status_code == 404
    assert patient_api.get("/api/v1/lessons/999999").status_code == 404
    assert api.get("/api/v1/lessons").status_code == 401


def test_lessons_are_edited_in_the_admin(admin_client):
    lesson = Lesson.objects.get(title="Describing symptoms")
    page = admin_client.get(f"/admin/speech/lesson/{lesson.pk}/change/")
    assert page.status_code == 200
    assert b"I have been feeling sick since yesterday." in page.content and b"dizzy" in page.content
    assert admin_client.get("/admin/speech/lesson/").status_code == 200
