"""PostgreSQL stopped for 10 s under traffic on the Procfile's web and io processes: every request meanwhile is
answered within a bound, a 503 in the one error shape (or a 503 page), never a 500; once it is back, requests
succeed with nothing restarted; no write is half done or doubled, and no reply is left streaming."""

import contextlib
import os
import pwd
import threading
import time
import uuid
from pathlib import Path

import httpx
import pgserver
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from assistant.models import ChatSession, Message
from journal.models import EntryAnalysis, JournalEntry
from meditrack.testing.people import token_for
from meditrack.testing.sse import sse_events
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE_S = 10
# A request waits for the database as long as the web's pool does (DB_POOL_TIMEOUT_S, 10 s), then is answered:
# one not answered within this bound hangs, and fails the test.
ANSWER_BOUND_S = 25
# The compose file's health probe gives up after 5 s: within it, the report must say what failed.
HEALTH_PROBE_S = 5
REPLY = [f"w{i} " for i in range(20)]


def pg_ctl(data: Path, *args: str) -> None:
    owner = pwd.getpwuid(os.stat(data).st_uid).pw_name
    pgserver.pg_ctl(list(args), pgdata=data, timeout=60, user=owner if os.geteuid() == 0 else None)


@contextlib.contextmanager
def postgres_stopped():
    """The embedded PostgreSQL stopped (fast: open transactions roll back), then started as pgserver starts it.
    This process holds no connection meanwhile, and takes fresh ones afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = Path(cursor.fetchone()[0])
        cursor.execute("SHOW unix_socket_directories")
        socket_dir = cursor.fetchone()[0]
    connection.close()
    pg_ctl(data, "-w", "-m", "fast", "stop")
    try:
        yield
    finally:
        pg_ctl(data, "-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(data / "log"), "start")
        connection.close_pool()


def test_a_postgres_outage_is_answered_503_and_leaves_nothing_half_done(patient, chat_model, model_server,
                                                                        procfile_stack):
    base_url = procfile_stack("web", "io")
    api = {"Authorization": f"Bearer {token_for(patient)}"}
    browser = Client()
    browser.force_login(patient)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}
    streaming, asking = (ChatSession.objects.create(owner=patient) for _ in range(2))
    model_server.reply = REPLY
    model_server.token_delay = 0.1

    # A reply streams when the database stops: its model finishes during the outage.
    events = []

    def read_reply():
        with httpx.stream("POST", f"{base_url}/api/v1/chat/sessions/{streaming.pk}/messages",
                          json={"content": "Tell me"}, headers={**api, "Accept": "text/event-stream"},
                          timeout=60) as response:
            events.extend(sse_events(response.iter_lines()))

    reader = threading.Thread(target=read_reply, daemon=True)
    reader.start()
    wait_until(lambda: sum(kind == "token" for kind, _ in events) >= 3, timeout=30, what="three tokens")

    outage_text, chat_id = f"Written while the database was down {uuid.uuid4()}", str(uuid.uuid4())
    calls = {
        "read": ("GET", "/api/v1/journal/entries", {"headers": api}),
        "write": ("POST", "/api/v1/journal/entries", {"headers": api, "json": {"text": outage_text}}),
        "chat": ("POST", f"/api/v1/chat/sessions/{asking.pk}/messages",
                 {"headers": api, "json": {"content": "Are you there?", "client_id": chat_id}}),
        "page": ("GET", "/journal/", {"cookies": cookies}),
        "health": ("GET", "/api/v1/health", {"timeout": HEALTH_PROBE_S}),
    }
    answers = {}

    def call(name):
        method, path, options = calls[name]
        try:
            answers[name] = httpx.request(method, f"{base_url}{path}", **{"timeout": ANSWER_BOUND_S, **options})
        except httpx.TimeoutException as exc:
            answers[name] = exc

    with postgres_stopped():
        stopped_at = time.monotonic()
        clients = [threading.Thread(target=call, args=(name,), daemon=True) for name in calls]
        for client in clients:
            client.start()
        time.sleep(max(0.0, stopped_at + OUTAGE_S - time.monotonic()))
    for client in clients:
        client.join()

    # During: the health report names the database; each request is answered, as a 503 in the one shape (or its
    # page), or as it would have been had it waited.
    health = answers.pop("health")
    assert isinstance(health, httpx.Response), f"no health report within the probe's {HEALTH_PROBE_S} s"
    assert health.status_code == 503
    assert {name: check["status"] for name, check in health.json()["checks"].items()} == {
        "database": "error", "pgvector": "error", "redis": "ok", "broker": "ok", "worker": "ok"}
    for name, answer in answers.items():
        assert isinstance(answer, httpx.Response), f"{name}: no answer within {ANSWER_BOUND_S} s"
        assert answer.status_code in (200, 201, 503), (name, answer.status_code, answer.text[:300])
        if answer.status_code == 503 and name == "page":
            assert "Briefly unavailable" in answer.text
        elif answer.status_code == 503:
            assert answer.json()["error"]["code"] == "unavailable" and answer.json()["error"]["detail"]
            assert answer.headers["Retry-After"]
    assert any(answer.status_code == 503 for answer in answers.values()), "no request saw the outage"

    # After: the same processes answer again, with nothing restarted.
    wait_until(lambda: httpx.get(f"{base_url}/api/v1/users/me", headers=api, timeout=ANSWER_BOUND_S).status_code
               == 200, timeout=30, what="the web answering again")
    assert httpx.get(f"{base_url}/journal/", cookies=cookies, timeout=ANSWER_BOUND_S).status_code == 200
    after = httpx.post(f"{base_url}/api/v1/journal/entries", json={"text": "Written once it was back."},
                       headers=api, timeout=ANSWER_BOUND_S)
    assert after.status_code == 201
    model_server.reply, model_server.token_delay = "Yes, I am here.", 0
    answer = httpx.post(f"{base_url}/api/v1/chat/sessions/{asking.pk}/messages", json={"content": "And now?"},
                        headers=api, timeout=ANSWER_BOUND_S)
    assert answer.status_code == 201 and answer.json()["status"] == "complete"

    # The reply that was streaming ended, once, and its reader was told.
    wait_until(lambda: not Message.objects.filter(status="streaming").exists(), timeout=60,
               what="no reply streaming")
    reader.join(timeout=30)
    assert not reader.is_alive(), "the reply's reader was never told it ended"
    assert [kind for kind, _ in events if kind in ("done", "error")] in (["done"], ["error"])
    [_, reply] = Message.objects.filter(session=streaming).order_by("id")
    full = "".join(REPLY)
    assert reply.content == full if reply.status == "complete" else full.startswith(reply.content)
    assert reply.status in ("complete", "error")

    # Nothing half done, nothing twice: the entry written during the outage exists once if it was accepted, else
    # not at all; every entry has its one analysis; the chat message is there with its reply only if accepted.
    written = list(JournalEntry.objects.filter(text=outage_text).values_list("id", flat=True))
    assert written == ([answers["write"].json()["id"]] if answers["write"].status_code == 201 else [])
    assert JournalEntry.objects.filter(text="Written once it was back.").count() == 1
    assert not JournalEntry.objects.filter(analysis__isnull=True).exists()
    assert EntryAnalysis.objects.count() == JournalEntry.objects.count()
    asked = list(Message.objects.filter(session=asking).order_by("id").values_list("role", "status", "client_id"))
    accepted = [("user", "complete", uuid.UUID(chat_id)), ("assistant", "complete", None)]
    first = accepted if answers["chat"].status_code == 201 else []
    assert asked == first + [("user", "complete", None), ("assistant", "complete", None)]
