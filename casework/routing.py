"""WebSocket routes (part of the composition root)."""

from django.urls import path

from casework.dispatch.consumers import UnitConsumer
from casework.rooms.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/cases/<int:case_id>/", RoomConsumer.as_asgi()),
    path("ws/units/<int:unit_id>/", UnitConsumer.as_asgi()),
]
