from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class InferenceConfig(AppConfig):
    name = "meditrack.inference"
    label = "inference"

    def ready(self):
        from meditrack.inference.models import AIModel, Tier, TierModel
        from meditrack.inference.selectors import registry_changed

        for model in (AIModel, Tier, TierModel):
            post_save.connect(registry_changed, sender=model, dispatch_uid=f"registry-save-{model.__name__}")
            post_delete.connect(registry_changed, sender=model, dispatch_uid=f"registry-delete-{model.__name__}")
