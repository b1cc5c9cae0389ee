from django.urls import path

from speech import api

urlpatterns = [
    path("speech/transcribe", api.TranscribeApi.as_view(), name="api-speech-transcribe"),
    path("speech/synthesize", api.SynthesizeApi.as_view(), name="api-speech-synthesize"),
    path("speech/pronunciation", api.PronunciationApi.as_view(), name="api-speech-pronunciation"),
    path("speech/clips/<int:clip_id>/audio", api.ClipAudioApi.as_view(), name="api-speech-clip-audio"),
]
