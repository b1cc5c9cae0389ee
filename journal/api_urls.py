from django.urls import path

from journal import api

urlpatterns = [
    path("journal/entries", api.EntryListApi.as_view(), name="api-journal-entries"),
    path("journal/entries/voice", api.VoiceEntryApi.as_view(), name="api-journal-voice"),
    path("journal/entries/voice/<str:job_id>", api.VoiceJobApi.as_view(), name="api-journal-voice-job"),
    path("journal/entries/<int:entry_id>", api.EntryDetailApi.as_view(), name="api-journal-entry"),
    path("journal/insights/<str:kind>", api.InsightApi.as_view(), name="api-journal-insight"),
]
