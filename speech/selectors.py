"""Speech reads."""

from __future__ import annotations

from django.http import Http404

from speech.models import AudioClip


def clip_get(*, user, clip_id: int) -> AudioClip:
    """The user's own clip, or 404 whether or not someone else's exists."""
    try:
        return AudioClip.objects.get(pk=clip_id, owner=user)
    except AudioClip.DoesNotExist:
        raise Http404("No such clip.") from None
