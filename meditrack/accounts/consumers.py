from channels.generic.websocket import AsyncJsonWebsocketConsumer

from meditrack.accounts.services import user_group

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Relays the user's own events (progress, insight ready, report ready); reads nothing."""

    group = None

    async def connect(self):
        user = self.scope["user"]
        await self.accept()
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # One-way socket: whatever a client sends, well-formed or not, is ignored.
        pass

    async def notify(self, message):
        await self.send_json(message["event"])
