from django.urls import path

from assistant import api, documents_api

urlpatterns = [
    path("chat/sessions", api.SessionListApi.as_view(), name="api-chat-sessions"),
    path("chat/sessions/<int:session_id>", api.SessionDetailApi.as_view(), name="api-chat-session"),
    path("chat/sessions/<int:session_id>/messages", api.streamed(api.MessageListApi), name="api-chat-messages"),
    path("chat/sessions/<int:session_id>/regenerate", api.streamed(api.RegenerateApi), name="api-chat-regenerate"),
    path("chat/sessions/<int:session_id>/reset", api.ResetApi.as_view(), name="api-chat-reset"),
    path("chat/sessions/<int:session_id>/stop", api.StopApi.as_view(), name="api-chat-stop"),
    path("chat/send", api.streamed(api.SendApi), name="api-chat-send"),
    path("documents", documents_api.DocumentListApi.as_view(), name="api-documents"),
    path("documents/<int:document_id>", documents_api.DocumentDetailApi.as_view(), name="api-document"),
    path("search", documents_api.SearchApi.as_view(), name="api-search"),
]
