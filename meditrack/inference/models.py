import os
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.http.request import validate_host

from meditrack.accounts.models import User
from meditrack.inference.types import BackendName, ModelSpec, Task

# A provider's token only: never a variable the app reads its own secrets from.
TOKEN_ENV_VAR = re.compile(r"[A-Z][A-Z0-9_]*_(TOKEN|API_KEY)")
APP_ENV_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "POSTGRES", "AWS_")


def token_env_var_allowed(name: str) -> bool:
    return bool(TOKEN_ENV_VAR.fullmatch(name)) and not name.startswith(APP_ENV_PREFIXES)


def base_url_allowed(url: str) -> bool:
    """Empty (Hugging Face serverless) or a host in AI_MODEL_HOSTS, matched as ALLOWED_HOSTS is."""
    return not url or validate_host(urlsplit(url).hostname or "", settings.AI_MODEL_HOSTS)


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

    def clean(self):
        errors = {}
        if self.token_env_var and not token_env_var_allowed(self.token_env_var):
            errors["token_env_var"] = ("A provider's token: a name ending in _TOKEN or _API_KEY, "
                                       f"not one of the app's own ({', '.join(APP_ENV_PREFIXES)}…).")
        if not base_url_allowed(self.base_url):
            errors["base_url"] = "Its host is not in the AI_MODEL_HOSTS setting."
        if errors:
            raise ValidationError(errors)

    def spec(self) -> ModelSpec:
        # A row saved before these rules (or past them) gets no token rather than the wrong one, or to the wrong host.
        allowed = token_env_var_allowed(self.token_env_var) and base_url_allowed(self.base_url)
        token = os.environ.get(self.token_env_var) if self.token_env_var and allowed else None
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

