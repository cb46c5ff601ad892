from __future__ import annotations

from django.urls import path

from playground.classroom.consumers import ClassroomConsumer

websocket_urlpatterns = [
    path("ws/classrooms/<int:classroom_id>/", ClassroomConsumer.as_asgi()),
]
