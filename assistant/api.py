"""The chat API. A reply streams as SSE when the client accepts text/event-stream, as chunked
text/plain from chat/send, else it is awaited and returned as JSON: all three tail the same stream."""

import json

import redis.asyncio as aioredis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import services, streams
from assistant.models import ChatSession, Message
from assistant.renderers import EventStreamRenderer
from assistant.serializers import (
    MessageInputSerializer,
    MessageSerializer,
    SendInputSerializer,
    SessionInputSerializer,
    SessionSerializer,
)


async def _events(message_id: int, after: int = -1):
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        async for event in streams.tail(client, message_id, after=after):
            yield event
    finally:
        await client.aclose()


async def _sse(reply_id: int):
    yield f"event: started\ndata: {json.dumps({'message_id': reply_id})}\n\n"
    async for event in _events(reply_id):
        kind = event.pop("type")
        yield f"event: {kind}\ndata: {json.dumps({'message_id': reply_id, **event} if kind == 'token' else event)}\n\n"


async def _plain_text(reply_id: int):
    async for event in _events(reply_id):
        if event["type"] == "token":
            yield event["text"]
        elif event["type"] == "error":
            yield f"\n[error: {event['detail']}]"


async def _wait_done(reply_id: int) -> None:
    async for _ in _events(reply_id):
        pass


def reply_response(request, reply: Message):
    if "text/event-stream" in request.headers.get("Accept", ""):
        response = StreamingHttpResponse(_sse(reply.pk), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
        return response
    async_to_sync(_wait_done)(reply.pk)
    reply.refresh_from_db()
    return Response(MessageSerializer(reply).data, status=status.HTTP_201_CREATED)


def own_session(request, session_id: int) -> ChatSession:
    return get_object_or_404(ChatSession, pk=session_id, owner=request.user)


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

    def get_queryset(self):
        return own_session(self.request, self.kwargs["session_id"]).messages.all()

    @extend_schema(request=MessageInputSerializer,
                   responses={201: MessageSerializer, 200: OpenApiResponse(description="text/event-stream")})
    def post(self, request, session_id):
        session = own_session(request, session_id)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.message_send(session=session, **data.validated_data)
        return reply_response(request, reply)


class RegenerateApi(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(request=None, responses={201: MessageSerializer})
    def post(self, request, session_id):
        return reply_response(request, services.message_regenerate(session=own_session(request, session_id)))


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
        response = StreamingHttpResponse(_plain_text(reply.pk), content_type="text/plain; charset=utf-8")
        response["X-Session-Id"] = str(session.pk)
        response["X-Message-Id"] = str(reply.pk)
        return response
