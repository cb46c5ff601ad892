"""What the GUI remembers of a sandbox's diagram: where the student put each node."""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class NodePosition(models.Model):
    """A diagram node's place, keyed by the node id the graph gives it (the resource ARN).

    A sandbox reset deletes these with the resources (every model with a foreign key to Sandbox is
    service state to playground.sandboxes.services.sandbox_reset).
    """

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="node_positions")
    node_id = models.CharField(max_length=1024)
    x = models.FloatField()
    y = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sandbox", "node_id"], name="web_node_position_unique")]

    def __str__(self) -> str:
        return f"{self.node_id} @ {self.x:.0f},{self.y:.0f}"
