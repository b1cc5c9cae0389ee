from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "meditrack.reports"
    label = "reports"
