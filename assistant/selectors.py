"""Reads of chats. A session is found through its owner only: someone else's is a 404, the same
answer as one that does not exist."""

from django.http import Http404

from assistant.models import ChatSession, Message


def session_get(*, owner, session_id: int) -> ChatSession:
    try:
        return ChatSession.objects.select_related("owner").get(pk=session_id, owner=owner)
    except (ChatSession.DoesNotExist, ValueError, TypeError):
        raise Http404("No such chat.") from None


def reply_streaming(*, session: ChatSession) -> Message | None:
    """The reply being written in the session, if one is."""
    return session.messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING).last()


def reply_in_session(*, session: ChatSession, message_id: int) -> bool:
    return Message.objects.filter(pk=message_id, session=session, role=Message.Role.ASSISTANT).exists()
