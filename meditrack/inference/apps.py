from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "meditrack.inference"
    label = "inference"
