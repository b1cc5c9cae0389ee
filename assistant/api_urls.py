from django.urls import path

from assistant import api

urlpatterns = [
    path("chat/sessions", api.SessionListApi.as_view(), name="api-chat-sessions"),
    path("chat/sessions/<int:session_id>", api.SessionDetailApi.as_view(), name="api-chat-session"),
    path("chat/sessions/<int:session_id>/messages", api.MessageListApi.as_view(), name="api-chat-messages"),
    path("chat/sessions/<int:session_id>/regenerate", api.RegenerateApi.as_view(), name="api-chat-regenerate"),
    path("chat/sessions/<int:session_id>/reset", api.ResetApi.as_view(), name="api-chat-reset"),
    path("chat/sessions/<int:session_id>/stop", api.StopApi.as_view(), name="api-chat-stop"),
    path("chat/send", api.SendApi.as_view(), name="api-chat-send"),
]
