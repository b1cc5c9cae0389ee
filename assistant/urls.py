from django.urls import path

from assistant import document_views, views

app_name = "assistant"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_session, name="new"),
    path("<int:session_id>/", views.session_page, name="session"),
    path("documents/", document_views.index, name="documents"),
    path("documents/<int:document_id>/", document_views.detail, name="document"),
    path("documents/<int:document_id>/delete/", document_views.delete, name="document_delete"),
]
