"""The caller's vocabulary: listed due first, reviewed on SM-2's schedule, nobody else's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from speech.models import Lesson, VocabularyItem

pytestmark = pytest.mark.django_db
URL = "/api/v1/vocabulary"


@pytest.fixture
def words(patient):
    lesson = Lesson.objects.get(title="Describing symptoms")
    now = timezone.now()
    return {
        "dizzy": VocabularyItem.objects.create(owner=patient, term="dizzy", meaning="feeling that everything is "
                                               "spinning", lesson=lesson, due_at=now - timedelta(hours=1)),
        "fever": VocabularyItem.objects.create(owner=patient, term="fever", lesson=lesson,
                                               due_at=now + timedelta(days=3), stage="practised", repetitions=1,
                                               interval_days=6),
    }


def test_the_callers_words_are_listed_those_due_first(patient_api, words, other_patient):
    VocabularyItem.objects.create(owner=other_patient, term="cough")
    items = patient_api.get(URL).json()["results"]
    assert [(i["term"], i["due"], i["stage"]) for i in items] == [("dizzy", True, "seen"),
                                                                  ("fever", False, "practised")]
    assert items[0]["lesson"]["title"] == "Describing symptoms"
    assert [i["term"] for i in patient_api.get(URL, {"due": "true"}).json()["results"]] == ["dizzy"]
    assert [i["term"] for i in patient_api.get(URL, {"stage": "practised"}).json()["results"]] == ["fever"]


def test_a_review_schedules_the_next_by_sm2(patient_api, words):
    item = words["dizzy"]
    first = patient_api.post(f"{URL}/{item.pk}/review", {"grade": 5}, format="json")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["stage"] == "practised" and body["interval_days"] == 1 and body["repetitions"] == 1
    assert body["easiness"] == pytest.approx(2.6) and body["due"] is False and body["review_count"] == 1
    second = patient_api.post(f"{URL}/{item.pk}/review", {"grade": 4}, format="json").json()
    assert second["interval_days"] == 6
    item.refresh_from_db()
    assert timedelta(days=5, hours=23) < item.due_at - timezone.now() <= timedelta(days=6)
    forgot = patient_api.post(f"{URL}/{item.pk}/review", {"grade": 1}, format="json").json()
    assert forgot["interval_days"] == 1 and forgot["repetitions"] == 0 and forgot["stage"] == "seen"


@pytest.mark.parametrize("grade", [-1, 6, 100, "five", None, 2.5])
def test_a_grade_out_of_range_is_400_and_changes_nothing(patient_api, words, grade):
    item = words["dizzy"]
    response = patient_api.post(f"{URL}/{item.pk}/review", {"grade": grade}, format="json")
    assert response.status_code == 400 and "grade" in response.json()["error"]["fields"]
    item.refresh_from_db()
    assert item.review_count == 0 and item.repetitions == 0


def test_a_review_without_a_grade_is_400(patient_api, words):
    response = patient_api.post(f"{URL}/{words['dizzy'].pk}/review", {}, format="json")
    assert response.status_code == 400 and "grade" in response.json()["error"]["fields"]


def test_someone_elses_word_is_404(other_patient_api, words):
    item = words["dizzy"]
    assert other_patient_api.post(f"{URL}/{item.pk}/review", {"grade": 4}, format="json").status_code == 404
    assert other_patient_api.get(URL).json()["results"] == []
    item.refresh_from_db()
    assert item.review_count == 0
