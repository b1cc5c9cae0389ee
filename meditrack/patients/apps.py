from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "meditrack.patients"
    label = "patients"
