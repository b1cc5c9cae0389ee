from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "meditrack.patients"
    label = "patients"

    def ready(self):
        from journal.signals import crisis_language_written
        from meditrack.patients.receivers import crisis_language_alert

        crisis_language_written.connect(crisis_language_alert, dispatch_uid="patients-crisis-language-alert")
