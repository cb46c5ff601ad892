"""Live events kept for clients that poll: GET /api/sandboxes/<id>/events/?after=<seq>.

Every event published through playground.live.bus is stored with a sequence number of its
sandbox (1, 2, 3 ... without gaps, in the order the events committed), then sent to the WebSocket
group carrying the same `seq`. A client that lost its socket asks for the events after the last
`seq` it saw. `api.call` events are not stored here: the call log (gateway.ApiCall) is their record.

Both tables outlive a sandbox reset (`survives_reset`): the numbering never restarts, so a cursor
a client holds stays valid across resets.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class LiveEvent(models.Model):
    survives_reset = True

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    payload = models.JSONField()  # the event exactly as the WebSocket sends it, `seq` included

    class Meta:
        ordering = ["sandbox", "seq"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "seq"], name="live_event_unique_seq")]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq}"


class EventSequence(models.Model):
    """The last sequence number handed out for a sandbox's events."""

    survives_reset = True

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"sandbox {self.sandbox_id}: {self.last}"
