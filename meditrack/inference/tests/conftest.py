import pytest

from meditrack.inference.tests.fake_server import ModelServer


@pytest.fixture
def model_server():
    """A loopback model server (see fake_server.py), stopped and its threads joined at teardown."""
    server = ModelServer().start()
    try:
        yield server
    finally:
        server.stop()
    # A bug in the server answers 500; say so rather than let a test blame the client.
    assert not server.errors, "the loopback model server failed:\n" + "\n".join(server.errors)
