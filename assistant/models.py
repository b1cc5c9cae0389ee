from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from pgvector.django import VectorField

# all-MiniLM-L6-v2's: the vector column is typed by it, so a model of another size needs a migration and a reindex.
EMBEDDING_DIMENSIONS = 384
TEXT_SEARCH_CONFIG = "english"


class ChatSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField(max_length=120, blank=True)
    model = models.CharField(max_length=50, blank=True, help_text="Chosen chat model slug; empty: the tier's default.")
    # Messages before this stay visible but are no longer sent to the model.
    context_reset_at = models.DateTimeField(null=True, blank=True)
    # Answers from the owner's records and documents, citing them. New sessions are grounded by
    # services.session_create; a row made without it (older clients' default session) is not.
    grounded = models.BooleanField(default=False)
    # A clinician's chat about one of their patients: that patient's facts and shared entries are sources too.
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title or f"Session {self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"

    class Status(models.TextChoices):
        STREAMING = "streaming"
        COMPLETE = "complete"
        CANCELLED = "cancelled"
        CUT = "cut"  # the model's stream broke mid-way: the text so far is kept
        ERROR = "error"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    client_id = models.UUIDField(null=True, blank=True)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    model = models.CharField(max_length=50, blank=True)
    finish_reason = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    # A grounded answer's sources as cited: [{"n", "source_type", "source_id", "title", "snippet", "url"}].
    citations = models.JSONField(default=list, blank=True)
    grounding = models.CharField(max_length=16, blank=True,
                                 help_text="checked, fallback or nothing_found for a grounded answer; empty otherwise.")
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    time_to_first_token_ms = models.FloatField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A message resent by a reconnecting client is recognised, not saved twice.
            models.UniqueConstraint(fields=["session", "client_id"], condition=Q(client_id__isnull=False),
                                    name="message_client_id_once"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="message_status_created")]

    def __str__(self):
        return f"{self.role} #{self.pk} ({self.status})"


class Document(models.Model):
    """A file the user gave the assistant to answer from. The upload's bytes wait here for the indexing worker
    (cleared once it has read them); the extracted text stays, so a cited passage opens in place."""

    class Status(models.TextChoices):
        INDEXING = "indexing"
        READY = "ready"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    filename = models.CharField(max_length=255)
    media_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)
    upload = models.BinaryField(null=True, editable=False)
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INDEXING)
    failure_reason = models.CharField(max_length=200, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="document_owner_created")]

    def __str__(self):
        return self.title


class Chunk(models.Model):
    """A passage the assistant retrieves: of a document, a journal entry, or a patient's facts. Whoever may read
    it is decided from these columns in the SQL of every search (owner; patient and shared for a clinician)."""

    class SourceType(models.TextChoices):
        DOCUMENT = "document"
        JOURNAL_ENTRY = "journal_entry"
        FACTS = "facts"

    # A patient's facts have no owner while the patient has no account: a clinician reaches them by `patient`.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="chunks")
    source_type = models.CharField(max_length=16, choices=SourceType.choices)
    source_id = models.BigIntegerField()
    document = models.ForeignKey(Document, null=True, on_delete=models.CASCADE, related_name="chunks")
    entry = models.ForeignKey("journal.JournalEntry", null=True, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", null=True, on_delete=models.CASCADE, related_name="+")
    # A journal entry's chunks are readable by the care team only while the entry is shared with it.
    shared = models.BooleanField(default=False)
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    # Where the passage starts and ends in its source's text, for opening it in place.
    char_start = models.PositiveIntegerField(default=0)
    char_end = models.PositiveIntegerField(default=0)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=50)
    search_vector = models.GeneratedField(expression=SearchVector("text", config=TEXT_SEARCH_CONFIG),
                                          output_field=SearchVectorField(), db_persist=True)

    class Meta:
        ordering = ["source_type", "source_id", "position"]
        indexes = [
            models.Index(fields=["owner", "source_type"], name="chunk_owner_source"),
            models.Index(fields=["source_type", "source_id"], name="chunk_source"),
            models.Index(fields=["patient"], name="chunk_patient", condition=Q(patient__isnull=False)),
            GinIndex(fields=["search_vector"], name="chunk_search_vector"),
            # No approximate index on the embedding: every search is of one owner's rows, and pgvector's HNSW
            # and IVFFlat filter after their search (pgvector 0.6), so an owner's top k could come back short.
            # The exact scan of the owner's rows is what searches (migration 0004 keeps vectors in the row).
        ]
        constraints = [
            models.CheckConstraint(condition=Q(owner__isnull=False) | Q(source_type="facts"),
                                   name="chunk_owned_unless_facts"),
        ]

    def __str__(self):
        return f"{self.source_type} {self.source_id} #{self.position}"
