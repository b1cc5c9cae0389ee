import pytest

from meditrack.inference.models import AIModel, Tier
from meditrack.testing.factories import model, serve, tier

URL = "/api/v1/models"
pytestmark = pytest.mark.django_db


def test_the_shipped_defaults_serve_every_tier_offline():
    for t in Tier.objects.all():
        for task in ["chat", "embedding", "asr", "tts"]:
            first = t.entries.filter(model__task=task, model__enabled=True).order_by("position").first()
            assert first is not None, (t.name, task)
            assert first.model.backend in ("local", "builtin"), (t.name, task)
    assert set(Tier.objects.values_list("name", flat=True)) == {"standard", "high", "enterprise"}


def test_the_hosted_choices_wait_disabled_for_a_token():
    hosted = AIModel.objects.filter(backend="hf_inference")
    assert {"mistralai/Mistral-7B-Instruct-v0.2", "meta-llama/Llama-3.2-3B-Instruct",
            "cardiffnlp/twitter-roberta-base-sentiment-latest", "openai/whisper-large-v3-turbo"} <= set(
        hosted.values_list("model_id", flat=True))
    assert not hosted.filter(enabled=True).exists()
    assert set(hosted.values_list("token_env_var", flat=True)) == {"HF_TOKEN"}


def test_it_lists_what_the_callers_tier_may_use_with_the_default_marked(patient_api):
    standard = tier("standard")
    serve(standard, model("fast-chat"), model("slow-chat"), model("off-chat", enabled=False))
    body = patient_api.get(URL).json()
    assert body["tier"] == "standard"
    chat = body["tasks"]["chat"]
    assert [(m["slug"], m["default"]) for m in chat] == [("fast-chat", True), ("slow-chat", False)]


def test_another_tier_sees_its_own_models(api, patient):
    serve(tier("standard"), model("basic-chat"))
    serve(tier("enterprise"), model("premium-chat"), model("basic-chat"))
    patient.tier = "enterprise"
    patient.save()
    api.force_authenticate(patient)
    chat = api.get(URL).json()["tasks"]["chat"]
    assert [m["slug"] for m in chat] == ["premium-chat", "basic-chat"]


def test_an_edit_in_the_admin_shows_at_once(patient_api):
    standard = tier("standard")
    serve(standard, model("old-default"))
    assert patient_api.get(URL).json()["tasks"]["chat"][0]["slug"] == "old-default"
    serve(standard, model("new-default"), model("old-default"))
    assert patient_api.get(URL).json()["tasks"]["chat"][0]["slug"] == "new-default"


def test_it_requires_authentication(api):
    assert api.get(URL).status_code == 401
