"""The chat API. A reply streams as SSE when the client accepts text/event-stream, as chunked
text/plain from chat/send, else it is awaited and returned as JSON: all three tail the same stream.

The views that start a reply are async (see `streamed`): their database work runs once, on the
database threads, and the reply is then tailed from Redis with no thread and no connection held."""

import json

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import selectors, services, streams
from assistant.models import ChatSession, Message
from assistant.renderers import EventStreamRenderer
from assistant.serializers import (
    MessageInputSerializer,
    MessageSerializer,
    SendInputSerializer,
    SessionInputSerializer,
    SessionSerializer,
)
from meditrack.db import db_sync_to_async
from meditrack.errors import error_body
from meditrack.redis_clients import async_client


async def _sse(reply_id: int):
    yield f"event: started\ndata: {json.dumps({'message_id': reply_id})}\n\n"
    async for event in streams.tail(async_client(), reply_id):
        kind = event.pop("type")
        yield f"event: {kind}\ndata: {json.dumps({'message_id': reply_id, **event} if kind == 'token' else event)}\n\n"


async def _plain_text(reply_id: int):
    streamed = []
    async for event in streams.tail(async_client(), reply_id):
        if event["type"] == "token":
            streamed.append(event["text"])
            yield event["text"]
        elif event["type"] == "done" and event["content"] != "".join(streamed):
            # A grounded draft that was replaced once checked: the reader gets what was saved too.
            yield ("\n\n" if streamed else "") + event["content"]
        elif event["type"] == "error":
            yield f"\n[error: {event['detail']}]"


@db_sync_to_async
def _finished_reply(reply_id: int) -> JsonResponse:
    reply = Message.objects.filter(pk=reply_id).first()
    if reply is None:  # replaced or deleted while it was written
        return JsonResponse(error_body("not_found", "The reply no longer exists."), status=404)
    return JsonResponse(MessageSerializer(reply).data, status=status.HTTP_201_CREATED)


class PendingReply(HttpResponse):
    """What a DRF view answers once a reply is queued; `streamed` turns it into the answer the client
    asked for: SSE, plain text or, once finished, JSON."""

    def __init__(self, reply: Message, *, form: str, headers: dict | None = None):
        super().__init__(status=status.HTTP_202_ACCEPTED, headers=headers)
        self.reply_id = reply.pk
        self.form = form


def pending_reply(request, reply: Message) -> PendingReply:
    return PendingReply(reply, form="sse" if "text/event-stream" in request.headers.get("Accept", "") else "json")


def _rendered(view):
    def call(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        return response.render() if hasattr(response, "render") else response
    return call


def streamed(view_class: type[APIView]):
    """The DRF view as an async view: authentication, validation and the service run once on the
    database threads; a PendingReply is then answered from the reply's Redis Stream."""
    drf_view = view_class.as_view()
    run = db_sync_to_async(_rendered(drf_view))

    async def view(request, *args, **kwargs):
        response = await run(request, *args, **kwargs)
        if not isinstance(response, PendingReply):
            return response
        # The session middleware's user lookup ran in this request's own thread: its connection
        # would otherwise stay checked out until the stream ends.
        await sync_to_async(close_old_connections)()
        if response.form == "json":
            async for _ in streams.tail(async_client(), response.reply_id):
                pass
            return await _finished_reply(response.reply_id)
        if response.form == "sse":
            stream = StreamingHttpResponse(_sse(response.reply_id), content_type="text/event-stream")
            stream["Cache-Control"] = "no-cache"
            stream["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
        else:
            stream = StreamingHttpResponse(_plain_text(response.reply_id), content_type="text/plain; charset=utf-8")
        for header in ("X-Session-Id", "X-Message-Id"):
            if header in response:
                stream[header] = response[header]
        return stream

    # drf-spectacular documents the DRF view behind it.
    view.cls, view.initkwargs = drf_view.cls, drf_view.initkwargs
    return csrf_exempt(view)  # DRF checks CSRF itself for cookie-authenticated requests


def own_session(request, session_id: int) -> ChatSession:
    return selectors.session_get(owner=request.user, session_id=session_id)


class SessionListApi(generics.ListAPIView):
    serializer_class = SessionSerializer

    def get_queryset(self):
        return self.request.user.chat_sessions.all()

    @extend_schema(request=SessionInputSerializer, responses={201: SessionSerializer})
    def post(self, request):
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(owner=request.user, **data.validated_data)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(responses=SessionSerializer)
    def get(self, request, session_id):
        return Response(SessionSerializer(own_session(request, session_id)).data)

    @extend_schema(request=SessionInputSerializer, responses=SessionSerializer)
    def patch(self, request, session_id):
        session = own_session(request, session_id)
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(SessionSerializer(services.session_update(session=session, **data.validated_data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, session_id):
        own_session(request, session_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageListApi(generics.ListAPIView):
    serializer_class = MessageSerializer
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_renderers(self):
        # Only a reply streams: a page of messages as an event stream would read as one error event.
        return super().get_renderers() if self.request.method == "POST" else [JSONRenderer()]

    def get_queryset(self):
        return own_session(self.request, self.kwargs["session_id"]).messages.all()

    @extend_schema(request=MessageInputSerializer,
                   responses={201: MessageSerializer, 200: OpenApiResponse(description="text/event-stream")})
    def post(self, request, session_id):
        session = own_session(request, session_id)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return pending_reply(request, services.message_send(session=session, **data.validated_data))


class RegenerateApi(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(request=None, responses={201: MessageSerializer})
    def post(self, request, session_id):
        return pending_reply(request, services.message_regenerate(session=own_session(request, session_id)))


class ResetApi(APIView):
    @extend_schema(request=None, responses=SessionSerializer)
    def post(self, request, session_id):
        return Response(SessionSerializer(services.session_reset(session=own_session(request, session_id))).data)


class StopApi(APIView):
    @extend_schema(request=None, responses={202: MessageSerializer, 204: None})
    def post(self, request, session_id):
        reply = services.message_stop(session=own_session(request, session_id))
        if reply is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(MessageSerializer(reply).data, status=status.HTTP_202_ACCEPTED)


class SendApi(APIView):
    """The shape older clients use: one call, the reply streamed back as plain text."""

    @extend_schema(request=SendInputSerializer, responses={200: OpenApiResponse(description="text/plain stream")})
    def post(self, request):
        data = SendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "session_id" in data.validated_data:
            session = own_session(request, data.validated_data["session_id"])
        else:
            session = services.session_default(owner=request.user)
        if "model" in data.validated_data:
            session = services.session_update(session=session, model=data.validated_data["model"])
        reply = services.message_send(session=session, content=data.validated_data["message"])
        return PendingReply(reply, form="text",
                            headers={"X-Session-Id": str(session.pk), "X-Message-Id": str(reply.pk)})
