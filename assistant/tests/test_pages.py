import pytest

from assistant.models import ChatSession

pytestmark = pytest.mark.django_db


def test_the_assistant_opens_the_latest_conversation_or_a_new_one(client, patient):
    client.force_login(patient)
    r = client.get("/assistant/")
    session = ChatSession.objects.get(owner=patient)
    assert r.status_code == 302 and r["Location"] == f"/assistant/{session.pk}/"


def test_the_page_shows_the_conversation_and_only_the_tiers_models(client, patient, session, chat_model):
    from meditrack.testing.factories import model

    model("premium-chat")  # exists, but not in the standard tier
    session.messages.create(role="user", content="How much water?")
    session.messages.create(role="assistant", content="About **two litres** a day.<script>x</script>")
    client.force_login(patient)
    page = client.get(f"/assistant/{session.pk}/").content.decode()
    assert "How much water?" in page
    assert "<strong>two litres</strong>" in page and "<script>x</script>" not in page
    assert 'value="loopback-chat"' in page and "premium-chat" not in page


def test_someone_elses_conversation_is_a_404(client, patient, other_patient):
    foreign = ChatSession.objects.create(owner=other_patient)
    client.force_login(patient)
    assert client.get(f"/assistant/{foreign.pk}/").status_code == 404


def test_the_navigation_links_the_assistant(client, patient):
    client.force_login(patient)
    assert 'href="/assistant/"' in client.get("/").content.decode()
