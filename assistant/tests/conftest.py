import pytest

from assistant.models import ChatSession


@pytest.fixture
def session(patient):
    return ChatSession.objects.create(owner=patient)
