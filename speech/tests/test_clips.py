"""AudioClip: audio kept in Django's media storage (the filesystem under var/ here), read by its owner only."""

import os
import subprocess
import sys

import pytest
from django.http import Http404

from meditrack import procfile
from meditrack.errors import ApplicationError
from speech import selectors, services
from speech.tests.recordings import spoken

pytestmark = pytest.mark.django_db


def test_a_clip_is_kept_in_media_storage_under_a_name_of_ours(patient, media_root):
    data = spoken("Good morning.")

    clip = services.clip_save(owner=patient, data=data)

    assert (clip.format, clip.media_type, clip.source) == ("wav", "audio/wav", "recording")
    assert clip.size_bytes == len(data) and 0.5 < clip.duration_s < 3
    path = media_root / clip.file.name
    assert path.read_bytes() == data
    assert clip.file.name.startswith(f"speech/clips/{patient.pk}/") and clip.file.name.endswith(".wav")


def test_only_its_owner_gets_a_clip(patient, other_patient):
    clip = services.clip_save(owner=patient, data=spoken("Good morning."))
    assert selectors.clip_get(user=patient, clip_id=clip.pk) == clip
    with pytest.raises(Http404):
        selectors.clip_get(user=other_patient, clip_id=clip.pk)


def test_the_audio_goes_with_the_clip_and_with_its_owner(patient, media_root, django_capture_on_commit_callbacks):
    clip = services.clip_save(owner=patient, data=spoken("One."))
    first = media_root / clip.file.name
    second = media_root / services.clip_save(owner=patient, data=spoken("Two.")).file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.clip_delete(clip=clip)
    assert not first.exists() and second.exists()
    with django_capture_on_commit_callbacks(execute=True):
        patient.delete()
    assert not second.exists()


def test_a_deletion_rolled_back_keeps_the_audio(patient, media_root):
    clip = services.clip_save(owner=patient, data=spoken("One."))
    services.clip_delete(clip=clip)  # the test's transaction never commits
    assert (media_root / clip.file.name).exists()


def test_what_is_not_audio_is_not_kept(patient, media_root):
    with pytest.raises(ApplicationError) as refused:
        services.clip_save(owner=patient, data=b"#!/bin/sh\nrm -rf /\n")
    assert refused.value.status_code == 415 and not any(media_root.rglob("*.*"))


def test_an_s3_compatible_bucket_is_used_when_configured():
    probe = ("import django; django.setup(); from django.core.files.storage import storages; "
             "s = storages['default']; print(type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl)")
    env = {**os.environ, "MEDIA_S3_BUCKET": "meditrack-media", "MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
           "DJANGO_SETTINGS_MODULE": "meditrack.settings"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=procfile.ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "meditrack-media", "http://127.0.0.1:9000", "private"]
