import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from meditrack.accounts.services import user_notify
from meditrack.asgi import application
from meditrack.testing.people import token_for
from meditrack.testing.websocket import ORIGIN, cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def bearer(user) -> bytes:
    return f"Bearer {token_for(user)}".encode()


async def connect(*headers):
    ws = WebsocketCommunicator(application, "/ws/notifications/", headers=list(headers))
    connected, _ = await ws.connect()
    assert connected
    return ws


async def test_a_browser_session_receives_its_own_events(patient):
    ws = await connect(ORIGIN, (b"cookie", await cookie_for(patient)))
    await sync_to_async(user_notify)(user_id=patient.pk, event={"type": "report.ready", "report_id": 7})
    assert await ws.receive_json_from(timeout=5) == {"type": "report.ready", "report_id": 7}
    await ws.disconnect()


async def test_a_user_never_receives_another_users_events(patient, other_patient):
    mine = await connect(ORIGIN, (b"cookie", await cookie_for(patient)))
    theirs = await connect((b"authorization", await bearer(other_patient)))
    await sync_to_async(user_notify)(user_id=other_patient.pk, event={"type": "insight.ready"})
    assert await theirs.receive_json_from(timeout=5) == {"type": "insight.ready"}
    assert await mine.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


async def test_frames_from_the_client_are_ignored_not_fatal(patient):
    ws = await connect((b"authorization", await bearer(patient)))
    await ws.send_to(text_data="{not json")
    await ws.send_to(bytes_data=b"\x00\xff")
    await sync_to_async(user_notify)(user_id=patient.pk, event={"type": "still.here"})
    assert await ws.receive_json_from(timeout=5) == {"type": "still.here"}
    await ws.disconnect()


async def test_an_api_client_authenticates_with_a_bearer_header(patient):
    ws = await connect((b"authorization", await bearer(patient)))
    await sync_to_async(user_notify)(user_id=patient.pk, event={"type": "ping"})
    assert await ws.receive_json_from(timeout=5) == {"type": "ping"}
    await ws.disconnect()


@pytest.mark.parametrize("headers", [
    [],
    [(b"authorization", b"Bearer not-a-token")],
    [(b"authorization", b"Token something")],
])
async def test_an_unauthenticated_socket_is_closed_with_4401(db, headers):
    ws = await connect(*headers)
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    # The server answers a close with a disconnect; a consumer left running holds a BRPOP that the
    # loop's shutdown can take its 30 s socket timeout to cancel.
    await ws.disconnect()


async def test_a_session_cookie_without_an_origin_does_not_authenticate(patient):
    # Only browsers carry cookies, and browsers always send Origin.
    ws = await connect((b"cookie", await cookie_for(patient)))
    assert (await ws.receive_output(timeout=5))["code"] == 4401
    await ws.disconnect()


async def test_a_foreign_origin_is_refused_at_the_handshake(patient):
    cookie = await cookie_for(patient)
    ws = WebsocketCommunicator(application, "/ws/notifications/",
                               headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)])
    connected, _ = await ws.connect()
    assert not connected
