import asyncio

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from assistant.models import ChatSession
from assistant.tests.test_consumer import open_chat, until_done

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
SESSIONS = int(__import__("os").environ.get("CHAT_SESSIONS", 50))
TOKENS = [f"w{i} " for i in range(40)]


async def sample_connections(dsn: str, database: str, peak: list[int], stop: asyncio.Event) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as watcher:
        while not stop.is_set():
            row = await (await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [database])).fetchone()
            peak.append(row[0])
            await asyncio.sleep(0.02)


async def test_fifty_sessions_stream_every_token_in_order_within_the_pool_bound(patient, chat_model, model_server,
                                                                                chat_worker):
    model_server.reply = TOKENS
    model_server.token_delay = 0.002
    sessions = await database_sync_to_async(
        lambda: [ChatSession.objects.create(owner=patient) for _ in range(SESSIONS)])()
    database = connection.settings_dict["NAME"]
    dsn = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(dbname=database, user=dsn["USER"], host=dsn["HOST"],
                                              port=dsn["PORT"] or None)
    peak: list[int] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(sample_connections(conninfo, database, peak, stop))

    async def converse(session):
        ws = await open_chat(patient, session.pk, timeout=60)
        await ws.send_json_to({"type": "user_message", "content": f"hello from {session.pk}"})
        frames = await until_done(ws, timeout=60)
        await ws.disconnect(timeout=10)
        return frames

    results = await asyncio.gather(*(converse(s) for s in sessions))
    stop.set()
    await watcher
    for frames in results:
        tokens = [f for f in frames if f["type"] == "token"]
        assert [t["index"] for t in tokens] == list(range(len(TOKENS)))
        assert [t["text"] for t in tokens] == TOKENS
        assert frames[-1]["type"] == "message_done" and frames[-1]["content"] == "".join(TOKENS)
    assert peak and max(peak) <= settings.DB_POOL_MAX_SIZE, max(peak)
