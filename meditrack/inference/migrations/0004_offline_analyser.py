"""The offline sentiment and emotion analyser, served by the builtin backend: every tier has it, after
the hosted classifiers, so it serves whenever they are disabled or down. The hosted sentiment model's
class names are mapped to the labels the journal uses."""

from django.db import migrations

ANALYSER = [("meditrack-sentiment", "sentiment"), ("meditrack-emotion", "emotion")]


# cardiffnlp's checkpoints name their classes LABEL_0..2 in some revisions: the meaning, in order.
CARDIFF_LABELS = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}


def register(apps, schema_editor):
    AIModel = apps.get_model("inference", "AIModel")
    for model in AIModel.objects.filter(model_id="cardiffnlp/twitter-roberta-base-sentiment-latest"):
        model.parameters = {**model.parameters, "label_map": CARDIFF_LABELS}
        model.save(update_fields=["parameters"])
    Tier = apps.get_model("inference", "Tier")
    TierModel = apps.get_model("inference", "TierModel")
    for slug, task in ANALYSER:
        model = AIModel.objects.create(slug=slug, task=task, backend="builtin", model_id="meditrack-analyser",
                                       queue="cpu", context_window=256, parameters={}, timeout_s=120)
        for tier in Tier.objects.all():
            last = TierModel.objects.filter(tier=tier).order_by("-position").first()
            TierModel.objects.create(tier=tier, model=model, position=(last.position + 1) if last else 0)


def unregister(apps, schema_editor):
    apps.get_model("inference", "AIModel").objects.filter(slug__in=[slug for slug, _ in ANALYSER]).delete()


class Migration(migrations.Migration):
    dependencies = [("inference", "0003_defaults")]
    operations = [migrations.RunPython(register, unregister)]
