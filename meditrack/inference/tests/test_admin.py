import pytest
from django.contrib.messages import get_messages

from meditrack.testing.factories import model

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = "/admin/inference/aimodel/"


def run_test_action(admin_client, *models) -> list[str]:
    response = admin_client.post(CHANGELIST, {"action": "test_models", "_selected_action": [m.pk for m in models]})
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_tests_a_model_with_a_real_request_on_its_queue(admin_client, model_server, worker):
    chat = model("probe-chat", base_url=f"{model_server.base_url}/v1", queue="io")
    [message] = run_test_action(admin_client, chat)
    assert message.startswith("probe-chat: OK in ")
    assert model_server.last_request.json["max_tokens"] == 8


def test_it_shows_why_a_model_fails(admin_client, model_server, worker):
    model_server.required_token = "a-token-we-do-not-have"
    chat = model("locked-chat", base_url=f"{model_server.base_url}/v1", queue="io")
    [message] = run_test_action(admin_client, chat)
    assert "locked-chat: failed after" in message
    assert "credentials (401)" in message


def test_the_changelist_shows_whether_a_token_is_set(admin_client, monkeypatch):
    model("with-token", token_env_var="SOME_PROVIDER_TOKEN")
    monkeypatch.delenv("SOME_PROVIDER_TOKEN", raising=False)
    assert b"SOME_PROVIDER_TOKEN: missing" in admin_client.get(CHANGELIST).content
    monkeypatch.setenv("SOME_PROVIDER_TOKEN", "x")
    page = admin_client.get(CHANGELIST).content
    assert b"SOME_PROVIDER_TOKEN: set" in page
    assert b">x<" not in page
