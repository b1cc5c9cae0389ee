from django.urls import path

from journal import views

app_name = "journal"
urlpatterns = [
    path("", views.index, name="index"),
    path("insights/", views.insights, name="insights"),
    path("<int:entry_id>/", views.detail, name="detail"),
    path("<int:entry_id>/edit/", views.edit, name="edit"),
    path("<int:entry_id>/delete/", views.delete, name="delete"),
]
