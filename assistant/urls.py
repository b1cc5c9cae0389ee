from django.urls import path

from assistant import views

app_name = "assistant"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new_session, name="new"),
    path("<int:session_id>/", views.session_page, name="session"),
]
