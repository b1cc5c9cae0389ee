"""The registry names a token's env var and a host; neither may reach the app's own secrets or another server."""

import pytest
from django.core.exceptions import ValidationError

from meditrack.inference.backends.remote import RemoteBackend
from meditrack.inference.models import AIModel
from meditrack.inference.types import BackendName, ChatMessage, ModelSpec, Task

pytestmark = pytest.mark.django_db


def entry(**fields) -> AIModel:
    return AIModel(**{"slug": "remote-chat", "task": "chat", "backend": "openai_compatible", "model_id": "m",
                      "base_url": "http://127.0.0.1:8080/v1", **fields})


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_API_TOKEN", "DATABASE_TOKEN",
                                  "REDIS_URL", "PATH", "SECRET"])
def test_a_token_env_var_outside_the_pattern_is_refused_and_never_read(monkeypatch, name):
    with pytest.raises(ValidationError) as refused:
        entry(token_env_var=name).full_clean()
    assert "token_env_var" in refused.value.message_dict
    monkeypatch.setenv(name, "the-app-secret")
    assert entry(token_env_var=name).spec().token is None  # a row saved before the rule


@pytest.mark.parametrize("name", ["HF_TOKEN", "OPENAI_API_KEY", "SOME_PROVIDER_TOKEN"])
def test_provider_tokens_are_accepted(monkeypatch, name):
    entry(token_env_var=name).full_clean()
    monkeypatch.setenv(name, "tok")
    assert entry(token_env_var=name).spec().token == "tok"


def test_a_base_url_outside_the_allowed_hosts_is_refused_and_gets_no_token(settings, monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_TOKEN", "tok")
    outside = entry(base_url="https://collector.example/v1", token_env_var="SOME_PROVIDER_TOKEN")
    with pytest.raises(ValidationError) as refused:
        outside.full_clean()
    assert "base_url" in refused.value.message_dict
    assert outside.spec().token is None
    settings.AI_MODEL_HOSTS = [".example"]
    outside.full_clean()
    assert outside.spec().token == "tok"


def test_the_default_hosts_are_this_machine_and_hugging_face():
    for url in ("http://localhost:11434/v1", "http://127.0.0.1:8080/v1", "https://router.huggingface.co/v1",
                "https://abc.us-east-1.aws.endpoints.huggingface.cloud", ""):
        entry(base_url=url).full_clean()


def test_the_admin_refuses_an_app_secret_as_a_token(admin_client):
    r = admin_client.post("/admin/inference/aimodel/add/", {
        "slug": "exfil", "task": "chat", "backend": "openai_compatible", "model_id": "m",
        "base_url": "https://collector.example/v1", "token_env_var": "DJANGO_SECRET_KEY", "parameters": "{}",
        "context_window": 2048, "timeout_s": 60, "queue": "io", "enabled": "on"})
    assert r.status_code == 200 and not AIModel.objects.filter(slug="exfil").exists()
    assert b"token_env_var" in r.content and b"base_url" in r.content


def test_a_token_stays_out_of_the_specs_repr():
    spec = ModelSpec(slug="s", task=Task.CHAT, backend=BackendName.OPENAI_COMPATIBLE, model_id="m", token="hf_secret")
    assert "hf_secret" not in repr(spec)


@pytest.mark.parametrize("backend_name", ["hf_endpoint", "hf_inference"])
def test_a_model_without_a_token_sends_none_even_with_hf_token_set(model_server, monkeypatch, backend_name):
    monkeypatch.setenv("HF_TOKEN", "hf_ambient")
    spec = ModelSpec(slug="s", task=Task.CHAT, backend=BackendName(backend_name), model_id="meditrack/loopback-llm",
                     base_url=model_server.base_url, timeout_s=5)
    assert list(RemoteBackend().chat(spec, [ChatMessage("user", "Hello")], max_new_tokens=4))
    assert "hf_ambient" not in str(model_server.last_request.headers)
