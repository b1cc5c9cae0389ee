"""Crisis language is flagged when the entry is saved: the writer sees where help is, their care team is told
that someone may need them, and no word of the entry leaves the journal."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from knox.models import AuthToken

from journal import services
from meditrack.asgi import application
from meditrack.patients.models import CareAlert

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
CRISIS = "I can't do this anymore. I want to end my life."


@database_sync_to_async
def bearer(user) -> bytes:
    return f"Bearer {AuthToken.objects.create(user=user)[1]}".encode()


async def listen(user) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"authorization", await bearer(user))])
    assert (await ws.connect())[0]
    return ws


async def test_it_alerts_the_writer_and_the_assigned_clinician_only(patient, record, clinician,
                                                                   other_clinician, patient_api):
    own, care, other = await listen(patient), await listen(clinician), await listen(other_clinician)

    response = await sync_to_async(patient_api.post)("/api/v1/journal/entries", {"text": CRISIS}, format="json")

    body = response.json()
    assert response.status_code == 201 and body["crisis"] is True
    assert any("988" in r["contact"] for r in body["support_resources"])
    event = await own.receive_json_from(timeout=5)
    assert event["type"] == "journal.crisis" and event["entry_id"] == body["id"] and event["resources"]
    alert = await care.receive_json_from(timeout=5)
    assert alert["type"] == "patient.alert" and alert["patient_id"] == "PAT-001"
    assert alert["alert_id"] == (await database_sync_to_async(CareAlert.objects.get)(patient=record)).pk
    assert "life" not in alert["message"].lower() and CRISIS not in str(alert)
    assert await other.receive_nothing(timeout=0.5)
    for ws in (own, care, other):
        await ws.disconnect()


async def test_an_ordinary_entry_raises_no_alert(patient, record, clinician):
    care = await listen(clinician)
    entry = await sync_to_async(services.entry_create)(owner=patient, text="This heat is killing me, dead tired.")
    assert entry.crisis is False
    assert await care.receive_nothing(timeout=0.5)
    await care.disconnect()


async def test_an_edit_that_adds_crisis_language_alerts_once(patient, record, clinician):
    care = await listen(clinician)
    entry = await sync_to_async(services.entry_create)(owner=patient, text="A quiet evening.")
    await sync_to_async(services.entry_update)(entry=entry, text=CRISIS)
    assert (await care.receive_json_from(timeout=5))["type"] == "patient.alert"
    await sync_to_async(services.entry_update)(entry=entry, text=CRISIS + " Still.")
    assert await care.receive_nothing(timeout=0.5)
    await care.disconnect()
