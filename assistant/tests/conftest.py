import pytest
from celery.contrib.testing.worker import start_worker
from channels.db import database_sync_to_async
from django.test import Client

from assistant.models import ChatSession
from meditrack.celery import QUEUES
from meditrack.celery import app as celery_app
from meditrack.inference.tests.conftest import model_server  # noqa: F401  (the loopback model server)
from meditrack.inference.tests.factories import model, serve, tier

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def chat_model(model_server):  # noqa: F811
    """The standard tier chats with the loopback server."""
    chat = model("loopback-chat", base_url=f"{model_server.base_url}/v1", model_id="loopback-chat", queue="io")
    serve(tier("standard", max_new_tokens=512), chat)
    return chat


@pytest.fixture
def session(patient):
    return ChatSession.objects.create(owner=patient)


@pytest.fixture
def chat_worker():
    """A real worker with a thread pool, so several replies are written at once."""
    with start_worker(celery_app, pool="threads", concurrency=8, perform_ping_check=False,
                      queues=list(QUEUES)) as w:
        yield w


@database_sync_to_async
def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()
