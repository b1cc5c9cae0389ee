import os

from django.core.validators import RegexValidator
from django.db import models

from meditrack.accounts.models import User
from meditrack.inference.types import BackendName, ModelSpec, Task


class AIModel(models.Model):
    """A model the product may call. The token lives in the environment; only its name is here."""

    class Queue(models.TextChoices):
        GPU = "gpu", "gpu (local models on GPU workers)"
        CPU = "cpu", "cpu (local models on CPU workers)"
        IO = "io", "io (calls to remote services)"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, blank=True, help_text="Shown to users; the slug if empty.")
    task = models.CharField(max_length=16, choices=[(t.value, t.value) for t in Task])
    backend = models.CharField(max_length=24, choices=[(b.value, b.value) for b in BackendName])
    model_id = models.CharField(max_length=255, help_text="Hub id, served model name, `pkg:` name or engine.")
    base_url = models.URLField(blank=True, help_text="Endpoint or server URL; empty for Hugging Face serverless.")
    token_env_var = models.CharField(
        max_length=64, blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*$", "An environment variable name, e.g. HF_TOKEN.")],
        help_text="Name of the environment variable that holds the token (never the token itself).",
    )
    parameters = models.JSONField(default=dict, blank=True, help_text="Generation parameters and backend options.")
    context_window = models.PositiveIntegerField(default=2048)
    timeout_s = models.FloatField(default=60.0)
    queue = models.CharField(max_length=8, choices=Queue.choices, default=Queue.IO)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["task", "slug"]
        verbose_name = "AI model"

    def __str__(self):
        return f"{self.slug} ({self.task})"

    @property
    def display_name(self) -> str:
        return self.name or self.slug

    def spec(self) -> ModelSpec:
        token = os.environ.get(self.token_env_var) if self.token_env_var else None
        return ModelSpec(
            slug=self.slug, task=Task(self.task), backend=BackendName(self.backend), model_id=self.model_id,
            base_url=self.base_url, token=token or None, params=dict(self.parameters or {}),
            timeout_s=self.timeout_s, context_window=self.context_window, queue=self.queue,
        )


class Tier(models.Model):
    name = models.CharField(max_length=16, choices=User.Tier.choices, unique=True)
    requests_per_minute = models.PositiveIntegerField(default=30, help_text="Model calls per user per minute.")
    max_new_tokens = models.PositiveIntegerField(default=512, help_text="Upper bound on any generated reply.")

    class Meta:
        ordering = ["requests_per_minute"]

    def __str__(self):
        return self.get_name_display()


class TierModel(models.Model):
    """One place in a tier's ordered list for a task: the first healthy model serves."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="entries")
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="tier_entries")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower serves first; the rest are fallbacks.")

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tier", "model"], name="tier_model_once")]

    def __str__(self):
        return f"{self.tier.name}: {self.model.slug} #{self.position}"

