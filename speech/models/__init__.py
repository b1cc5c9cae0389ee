"""Every model of the speech app; each engineer's models live in their own module."""

from speech.models.clips import AudioClip
from speech.models.practice import Lesson, LessonPhrase, LessonTerm, PracticeSession, PracticeTurn, VocabularyItem

__all__ = ["AudioClip", "Lesson", "LessonPhrase", "LessonTerm", "PracticeSession", "PracticeTurn", "VocabularyItem"]
