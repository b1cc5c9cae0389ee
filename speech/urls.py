"""The speech practice pages, under /practice/."""

from django.urls import path

from speech import practice_views

app_name = "speech"
urlpatterns = [
    path("", practice_views.index, name="index"),
]
