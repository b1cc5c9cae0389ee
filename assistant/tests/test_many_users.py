"""Many users at once, on the processes the Procfile starts (web and the io worker) against the test
database: streams hold no thread and no connection while they wait, and the io worker writes many
replies at the same time."""

import asyncio
import json

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from assistant import services
from assistant.models import ChatSession, Message
from meditrack.testing.people import token_for
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
TOKENS = [f"w{i} " for i in range(40)]


def conninfo() -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(dbname=connection.settings_dict["NAME"], user=db["USER"], host=db["HOST"],
                                          port=db["PORT"] or None)


async def sample_connections(application: str, peak: list[int], stop: asyncio.Event) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as watcher:
        while not stop.is_set():
            row = await (await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application])).fetchone()
            peak.append(row[0])
            await asyncio.sleep(0.02)


async def sse_reply(client: httpx.AsyncClient, session_id: int) -> list[tuple[str, dict]]:
    events = []
    async with client.stream("POST", f"/api/v1/chat/sessions/{session_id}/messages", json={"content": "hello"},
                             headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200, await response.aread()
        name = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


async def api_reads(client: httpx.AsyncClient, statuses: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        statuses.append((await client.get("/api/v1/chat/sessions")).status_code)
        await asyncio.sleep(0.05)


def test_fifty_sse_streams_at_once_while_api_reads_keep_answering(patient, chat_model, model_server,
                                                                  procfile_stack):
    model_server.reply = TOKENS
    model_server.token_delay = 0.02
    base_url = procfile_stack("web", "io")
    sessions = [ChatSession.objects.create(owner=patient) for _ in range(50)]
    token = token_for(patient)

    async def crowd():
        peak: list[int] = []
        statuses: list[int] = []
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60,
                                     limits=httpx.Limits(max_connections=200)) as client:
            background = [asyncio.create_task(sample_connections("meditrack-web", peak, stop)),
                          asyncio.create_task(api_reads(client, statuses, stop))]
            replies = await asyncio.gather(*(sse_reply(client, s.pk) for s in sessions))
            stop.set()
            await asyncio.gather(*background)
        return replies, statuses, peak

    replies, statuses, peak = asyncio.run(crowd())
    for events in replies:
        assert [data["index"] for name, data in events if name == "token"] == list(range(len(TOKENS)))
        assert events[-1][0] == "done" and events[-1][1]["content"] == "".join(TOKENS)
    assert statuses and set(statuses) == {200}
    assert peak and max(peak) <= settings.DB_POOL_MAX_SIZE


def test_the_io_worker_writes_twenty_replies_at_the_same_time(patient, chat_model, model_server, procfile_stack):
    model_server.reply = TOKENS
    model_server.token_delay = 0.05  # 2 s a reply: all twenty must be under way together
    procfile_stack("io")
    replies = [services.message_send(session=ChatSession.objects.create(owner=patient), content="hello")
               for _ in range(20)]
    assert model_server.wait_for(
        lambda server: sum(1 for r in server.requests if r.tokens_sent and not r.finished) >= 20, timeout=30)
    wait_until(lambda: not Message.objects.filter(pk__in=[r.pk for r in replies],
                                                  status=Message.Status.STREAMING).exists(),
               timeout=30, what="the replies' end")
    assert set(Message.objects.filter(pk__in=[r.pk for r in replies]).values_list("content", flat=True)) == {
        "".join(TOKENS)}
