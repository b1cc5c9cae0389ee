from django.urls import path

from speech import api, practice_api

urlpatterns = [
    path("speech/transcribe", api.TranscribeApi.as_view(), name="api-speech-transcribe"),
    path("speech/synthesize", api.SynthesizeApi.as_view(), name="api-speech-synthesize"),
    path("speech/pronunciation", api.PronunciationApi.as_view(), name="api-speech-pronunciation"),
    path("speech/clips/<int:clip_id>/audio", api.ClipAudioApi.as_view(), name="api-speech-clip-audio"),
    path("lessons", practice_api.LessonListApi.as_view(), name="api-lessons"),
    path("lessons/<int:lesson_id>", practice_api.LessonDetailApi.as_view(), name="api-lesson"),
    path("vocabulary", practice_api.VocabularyListApi.as_view(), name="api-vocabulary"),
    path("vocabulary/<int:item_id>/review", practice_api.VocabularyReviewApi.as_view(), name="api-vocabulary-review"),
    path("practice/sessions", practice_api.SessionCreateApi.as_view(), name="api-practice-sessions"),
    path("practice/sessions/<int:session_id>", practice_api.SessionDetailApi.as_view(), name="api-practice-session"),
    path("practice/sessions/<int:session_id>/turns", practice_api.TurnCreateApi.as_view(), name="api-practice-turns"),
    path("practice/sessions/<int:session_id>/turns/<int:turn_id>", practice_api.TurnDetailApi.as_view(),
         name="api-practice-turn"),
]
