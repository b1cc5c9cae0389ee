"""Who is on the other end of a websocket.

Browsers send the session cookie and always an Origin header, which must be one of ours (a page
elsewhere must not ride the cookie). API clients send `Authorization: Bearer <token>` on the
handshake; a token never travels in a URL, where proxies and logs would keep it.
"""

from channels.auth import AuthMiddleware, get_user
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth.models import AnonymousUser
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from meditrack.db import db_sync_to_async

_session_user = db_sync_to_async(get_user.func)


class SessionUserMiddleware(AuthMiddleware):
    """Channels' AuthMiddleware, reading the session's user on the database threads rather than
    Channels' single one, where a crowd of connecting browsers would queue."""

    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await _session_user(scope)


@db_sync_to_async
def _user_for_token(token: bytes):
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token)
    except AuthenticationFailed:
        return AnonymousUser()
    return user


class BearerTokenMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers", [])).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if header:
            user = await _user_for_token(token.strip()) if scheme.lower() == b"bearer" else AnonymousUser()
            scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)


def websocket_auth(inner):
    authenticated = CookieMiddleware(SessionMiddleware(SessionUserMiddleware(BearerTokenMiddleware(inner))))
    from_browser = AllowedHostsOriginValidator(authenticated)

    async def app(scope, receive, send):
        headers = scope.get("headers", [])
        if any(name == b"origin" for name, _ in headers):
            return await from_browser(scope, receive, send)
        # No Origin: not a browser, so no cookie counts either; such a client sends a token.
        scope = dict(scope, headers=[(n, v) for n, v in headers if n != b"cookie"])
        return await authenticated(scope, receive, send)

    return app
