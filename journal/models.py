from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pgvector.django import VectorField

MAX_ENTRY_BYTES = 100_000  # UTF-8 bytes of the text: a journal entry, not a document


class JournalEntry(models.Model):
    class Source(models.TextChoices):
        TEXT = "text"
        VOICE = "voice"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries")
    text = models.TextField()
    mood = models.PositiveSmallIntegerField(null=True, blank=True,
                                            validators=[MinValueValidator(1), MaxValueValidator(10)],
                                            help_text="Self-rated mood, 1 (worst) to 10 (best).")
    written_at = models.DateTimeField(help_text="When the entry was written; the user may back-date it.")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.TEXT)
    shared_with_care_team = models.BooleanField(default=False)
    # Crisis or self-harm language, found when the entry is saved (not by the model, so at once).
    crisis = models.BooleanField(default=False)
    # Bumped by every edit of the text: an analysis of an older revision is never saved over a newer one.
    revision = models.PositiveIntegerField(default=1)
    # The recording a spoken entry came from: a redelivered transcription finds its entry instead of writing twice.
    voice_job_id = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-written_at", "-id"]
        indexes = [models.Index(fields=["owner", "written_at"], name="entry_owner_written")]
        verbose_name_plural = "journal entries"

    def __str__(self):
        return f"Entry {self.pk}"


class EntryAnalysis(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"  # every model refused it, attempt after attempt: `analyze_journal` tries again

    entry = models.OneToOneField(JournalEntry, on_delete=models.CASCADE, related_name="analysis")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sentiment_label = models.CharField(max_length=10, blank=True)
    negative = models.FloatField(null=True, blank=True)
    neutral = models.FloatField(null=True, blank=True)
    positive = models.FloatField(null=True, blank=True)
    # positive - negative: one number per entry for trends and charts.
    score = models.FloatField(null=True, blank=True)
    emotions = models.JSONField(default=list, blank=True, help_text='Top emotions: [{"label", "score"}], best first.')
    # Unit-length; the dimension is the embedding model's, so it is not fixed here.
    embedding = VectorField(null=True, blank=True)
    sentiment_model = models.CharField(max_length=50, blank=True)
    emotion_model = models.CharField(max_length=50, blank=True)
    embedding_model = models.CharField(max_length=50, blank=True)
    analyser_version = models.CharField(max_length=64, blank=True)
    analysed_revision = models.PositiveIntegerField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on a pending analysis: another worker skips it until it runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["status", "claimed_until"], name="analysis_status_claim")]
        verbose_name_plural = "entry analyses"

    def __str__(self):
        return f"Analysis of entry {self.entry_id} ({self.status})"
