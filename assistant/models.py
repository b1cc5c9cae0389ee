from django.conf import settings
from django.db import models
from django.db.models import Q


class ChatSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField(max_length=120, blank=True)
    model = models.CharField(max_length=50, blank=True, help_text="Chosen chat model slug; empty: the tier's default.")
    # Messages before this stay visible but are no longer sent to the model.
    context_reset_at = models.DateTimeField(null=True, blank=True)
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
