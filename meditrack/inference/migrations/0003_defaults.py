"""The embedded defaults (offline, out of the box) and, disabled until an operator adds a token,
the usual hosted choices. Operators change all of it in the admin."""

from django.db import migrations

LOCAL = [
    # slug, task, backend, model id, queue, context window, parameters
    ("gemma-3-270m", "chat", "local", "pkg:gemma3-270m", "gpu", 8192,
     # A 270M base model on a CPU: short answers, so the first reply is not a minute of text.
     {"temperature": 0.7, "top_p": 0.95, "do_sample": True, "repetition_penalty": 1.15, "max_new_tokens": 160}),
    ("all-minilm-l6-v2", "embedding", "local", "pkg:all-minilm-l6-v2", "cpu", 256, {}),
    ("whisper-tiny-en", "asr", "local", "pkg:whisper-tiny.en", "gpu", 448, {}),
    ("espeak-ng", "tts", "builtin", "espeak-ng", "cpu", 0, {"voice": "en-us", "rate": 165}),
]
HOSTED = [
    ("llama-3.2-3b-instruct", "chat", "meta-llama/Llama-3.2-3B-Instruct", 8192),
    ("mistral-7b-instruct", "chat", "mistralai/Mistral-7B-Instruct-v0.2", 8192),
    ("twitter-roberta-sentiment", "sentiment", "cardiffnlp/twitter-roberta-base-sentiment-latest", 512),
    ("distilroberta-emotion", "emotion", "j-hartmann/emotion-english-distilroberta-base", 512),
    ("whisper-large-v3-turbo", "asr", "openai/whisper-large-v3-turbo", 448),
    ("mms-tts-eng", "tts", "facebook/mms-tts-eng", 0),
]
TIERS = {
    # name: requests per minute, max new tokens, hosted chat models first (when enabled)
    "standard": (20, 512, []),
    "high": (60, 1024, ["llama-3.2-3b-instruct"]),
    "enterprise": (240, 2048, ["mistral-7b-instruct", "llama-3.2-3b-instruct"]),
}


def register(apps, schema_editor):
    AIModel = apps.get_model("inference", "AIModel")
    Tier = apps.get_model("inference", "Tier")
    TierModel = apps.get_model("inference", "TierModel")
    models = {}
    for slug, task, backend, model_id, queue, window, params in LOCAL:
        models[slug] = AIModel.objects.create(slug=slug, task=task, backend=backend, model_id=model_id, queue=queue,
                                              context_window=window or 2048, parameters=params, timeout_s=120)
    for slug, task, model_id, window in HOSTED:
        models[slug] = AIModel.objects.create(slug=slug, task=task, backend="hf_inference", model_id=model_id,
                                              queue="io", context_window=window or 2048, token_env_var="HF_TOKEN",
                                              enabled=False, timeout_s=60)
    hosted_by_task = {}
    for slug, task, *_ in HOSTED:
        hosted_by_task.setdefault(task, []).append(slug)
    for name, (rpm, max_new_tokens, hosted_chat) in TIERS.items():
        tier = Tier.objects.create(name=name, requests_per_minute=rpm, max_new_tokens=max_new_tokens)
        order = hosted_chat + [slug for slug, *_ in LOCAL]
        order += [slug for task, slugs in hosted_by_task.items() if task != "chat" for slug in slugs]
        for position, slug in enumerate(order):
            TierModel.objects.create(tier=tier, model=models[slug], position=position)


def unregister(apps, schema_editor):
    apps.get_model("inference", "Tier").objects.all().delete()
    apps.get_model("inference", "AIModel").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("inference", "0002_registry")]
    operations = [migrations.RunPython(register, unregister)]
