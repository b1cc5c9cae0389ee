"""Spaced repetition: SuperMemo's SM-2 (P. Wozniak, 1990), as it is usually implemented. Imports nothing from Django.

A review is graded 0-5 (5: perfect, 3: right with difficulty, below 3: forgotten). A remembered item comes back
after 1 day, then 6, then each interval times its easiness; a forgotten one starts again at 1 day. The easiness
(at least 1.3) moves with every grade, so hard words come back more often than easy ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

MIN_GRADE, MAX_GRADE = 0, 5
PASSING_GRADE = 3
START_EASINESS = 2.5
MIN_EASINESS = 1.3
# Anki calls a card "mature" from three weeks on: a word still remembered after that long is known.
MASTERED_AFTER_DAYS = 21


class Stage(StrEnum):
    SEEN = "seen"  # introduced, never reviewed or said right
    PRACTISED = "practised"
    MASTERED = "mastered"


@dataclass(frozen=True)
class Schedule:
    easiness: float = START_EASINESS
    repetitions: int = 0  # reviews passed in a row
    interval_days: int = 0

    @property
    def stage(self) -> Stage:
        if self.repetitions and self.interval_days >= MASTERED_AFTER_DAYS:
            return Stage.MASTERED
        return Stage.PRACTISED if self.repetitions else Stage.SEEN


def grade_check(grade: object) -> int:
    """The grade as an int, or ValueError saying what a grade is."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValueError(f"A grade is a whole number from {MIN_GRADE} to {MAX_GRADE}.")
    return grade


def review(schedule: Schedule, grade: int) -> Schedule:
    """The schedule after one review with this grade."""
    grade = grade_check(grade)
    if grade >= PASSING_GRADE:
        if schedule.repetitions == 0:
            interval = 1
        elif schedule.repetitions == 1:
            interval = 6
        else:
            interval = round(schedule.interval_days * schedule.easiness)
        repetitions = schedule.repetitions + 1
    else:
        interval, repetitions = 1, 0
    misses = MAX_GRADE - grade
    easiness = max(MIN_EASINESS, schedule.easiness + 0.1 - misses * (0.08 + misses * 0.02))
    return replace(schedule, easiness=round(easiness, 4), repetitions=repetitions, interval_days=interval)


def due_after(reviewed_at: datetime, schedule: Schedule) -> datetime:
    return reviewed_at + timedelta(days=schedule.interval_days)
