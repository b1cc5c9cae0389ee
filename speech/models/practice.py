"""Speech practice: lessons (phrases to say and their words), each user's vocabulary on an SM-2 schedule, and
practice sessions whose turns keep what was said, how it was scored and what the coach answered."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from speech import srs


class Lesson(models.Model):
    class Level(models.TextChoices):
        BEGINNER = "beginner"
        INTERMEDIATE = "intermediate"
        ADVANCED = "advanced"

    title = models.CharField(max_length=120, unique=True)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lessons are listed in this order.")
    published = models.BooleanField(default=True, help_text="Only published lessons are offered to users.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class LessonPhrase(models.Model):
    """A sentence the patient practises saying, in the order the lesson takes them."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="phrases")
    text = models.CharField(max_length=300)
    hint = models.CharField(max_length=300, blank=True, help_text="When a patient would say it.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["lesson", "position", "id"]

    def __str__(self):
        return self.text


class LessonTerm(models.Model):
    """A word or expression the lesson teaches: it enters a user's vocabulary when a phrase first uses it."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=60)
    meaning = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["lesson", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "term"], name="speech_lessonterm_unique_term")]

    def __str__(self):
        return self.term


class VocabularyItem(models.Model):
    """One of a user's words, reviewed on SM-2's schedule (speech.srs)."""

    Stage = models.TextChoices("Stage", [(s.value, s.value) for s in srs.Stage])

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vocabulary")
    term = models.CharField(max_length=60)  # lower case, as practice compares it
    meaning = models.CharField(max_length=200, blank=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=srs.Stage.SEEN)
    easiness = models.FloatField(default=srs.START_EASINESS)
    repetitions = models.PositiveIntegerField(default=0)
    interval_days = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    review_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "term"], name="speech_vocabulary_unique_term")]
        indexes = [models.Index(fields=["owner", "due_at"])]

    def __str__(self):
        return self.term

    @property
    def schedule(self) -> srs.Schedule:
        return srs.Schedule(easiness=self.easiness, repetitions=self.repetitions, interval_days=self.interval_days)


class PracticeSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_sessions")
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The lesson's phrase to say now (or, in free talk, the question asked), and the try at it.
    position = models.PositiveIntegerField(default=0)
    attempt = models.PositiveIntegerField(default=1)
    prompt = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"practice {self.pk} ({self.lesson or 'free talk'})"


class PracticeTurn(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing"
        DONE = "done"
        FAILED = "failed"

    class CoachSource(models.TextChoices):
        MODEL = "model"
        FALLBACK = "fallback"

    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="turns")
    number = models.PositiveIntegerField()
    target = models.CharField(max_length=300, blank=True)  # the phrase asked for; blank in free talk
    text = models.TextField(blank=True)  # what was typed, for a typed turn
    recording = models.ForeignKey("speech.AudioClip", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    transcript = models.TextField(blank=True)
    pronunciation = models.JSONField(null=True, blank=True)  # {score, words: [...]} as speech.pronunciation gives
    coach = models.JSONField(null=True, blank=True)  # speech.coach.CoachReply
    coach_source = models.CharField(max_length=16, choices=CoachSource.choices, blank=True)
    coach_model = models.CharField(max_length=100, blank=True)
    reply_clip = models.ForeignKey("speech.AudioClip", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    next_target = models.CharField(max_length=300, blank=True)
    vocabulary = models.JSONField(default=list, blank=True)  # [{id, term, change}] this turn made
    error_code = models.CharField(max_length=40, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "number"]
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="speech_practiceturn_unique_number")]

    def __str__(self):
        return f"turn {self.number} of {self.session}"
