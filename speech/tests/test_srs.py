"""SM-2 scheduling, alone: intervals of 1, 6, then times the easiness; a lapse starts again; easiness moves."""

from datetime import UTC, datetime, timedelta

import pytest

from speech.srs import MIN_EASINESS, Schedule, Stage, due_after, grade_check, review


def reviews(*grades: int) -> Schedule:
    schedule = Schedule()
    for grade in grades:
        schedule = review(schedule, grade)
    return schedule


def test_remembered_words_come_back_after_one_day_then_six_then_times_their_easiness():
    assert reviews(4).interval_days == 1
    assert reviews(4, 4).interval_days == 6
    assert reviews(4, 4, 4) == Schedule(easiness=2.5, repetitions=3, interval_days=15)
    assert reviews(4, 4, 4, 4).interval_days == 38


def test_easiness_rises_with_perfect_answers_and_falls_with_hard_ones():
    assert reviews(5).easiness == pytest.approx(2.6)
    assert reviews(4).easiness == pytest.approx(2.5)
    assert reviews(3).easiness == pytest.approx(2.36)
    assert reviews(5, 5, 5).interval_days == round(6 * 2.7) > reviews(4, 4, 4).interval_days  # easy words wait longer


def test_a_forgotten_word_starts_again_tomorrow():
    lapsed = reviews(5, 5, 5, 1)
    assert lapsed.repetitions == 0 and lapsed.interval_days == 1
    assert lapsed.easiness == pytest.approx(2.8 - 0.54)
    assert review(lapsed, 4).interval_days == 1 and reviews(5, 5, 5, 1, 4, 4).interval_days == 6


def test_easiness_never_falls_below_its_floor():
    assert reviews(*[0] * 10).easiness == MIN_EASINESS
    assert reviews(*[3] * 10).easiness == MIN_EASINESS


def test_a_word_is_seen_then_practised_then_mastered_after_three_weeks():
    assert Schedule().stage == Stage.SEEN
    assert reviews(4).stage == Stage.PRACTISED
    assert reviews(4, 4, 4).stage == Stage.PRACTISED  # 15 days
    assert reviews(4, 4, 4, 4).stage == Stage.MASTERED  # 38 days
    assert reviews(4, 4, 4, 4, 0).stage == Stage.SEEN


def test_the_next_review_is_due_an_interval_later():
    now = datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert due_after(now, reviews(4, 4)) == now + timedelta(days=6)


@pytest.mark.parametrize("grade", [-1, 6, 2.5, "4", None, True])
def test_a_grade_is_a_whole_number_from_0_to_5(grade):
    with pytest.raises(ValueError, match="from 0 to 5"):
        review(Schedule(), grade)
    with pytest.raises(ValueError):
        grade_check(grade)
