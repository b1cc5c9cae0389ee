"""Signing a websocket or an async client in as a browser does: its session cookie and its origin."""

from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

ORIGIN = (b"origin", b"http://localhost")


@database_sync_to_async
def session_key_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def cookie_for(user) -> bytes:
    """The Cookie header of a browser signed in as user."""
    return f"{settings.SESSION_COOKIE_NAME}={await session_key_for(user)}".encode()
