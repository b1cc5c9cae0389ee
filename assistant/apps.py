from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "assistant"
    label = "assistant"

    def ready(self):
        from assistant import receivers
        from journal.signals import entry_saved

        entry_saved.connect(receivers.journal_entry_saved, dispatch_uid="assistant.journal_entry_saved")
