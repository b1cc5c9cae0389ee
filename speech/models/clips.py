"""Recorded and synthesised audio, kept in Django's default storage (never the broker's Redis)."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver


def clip_path(clip: "AudioClip", filename: str) -> str:
    # The uploaded name is the user's: only the format is kept, so no name reaches the storage's paths.
    return f"speech/clips/{clip.owner_id}/{uuid.uuid4().hex}.{clip.format}"


class AudioClip(models.Model):
    class Source(models.TextChoices):
        RECORDING = "recording"
        SYNTHESIS = "synthesis"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audio_clips")
    source = models.CharField(max_length=16, choices=Source.choices)
    file = models.FileField(upload_to=clip_path, max_length=255)
    format = models.CharField(max_length=16)  # the container: wav, ogg, flac, mp3, webm, mp4
    media_type = models.CharField(max_length=64)
    duration_s = models.FloatField()
    size_bytes = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self):
        return f"{self.source} clip {self.pk} ({self.duration_s:.1f} s {self.format})"


@receiver(post_delete, sender=AudioClip)
def _delete_clip_file(sender, instance: AudioClip, **kwargs):
    # Also when a user's deletion cascades to their clips: the bytes go with the row, once its deletion is
    # committed (a rolled-back deletion keeps both).
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
