"""The speech practice pages, under /practice/."""

app_name = "speech"
urlpatterns: list = []
