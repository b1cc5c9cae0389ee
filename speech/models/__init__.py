"""Every model of the speech app; each engineer's models live in their own module."""

from speech.models.clips import AudioClip

__all__ = ["AudioClip"]
