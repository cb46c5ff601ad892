"""Node positions of a sandbox's diagram: read them all, save some, forget them all.

Only the places a student chose are kept (by dragging a node); every other node goes where the
diagram's automatic layout puts it, each time it is drawn."""

from __future__ import annotations

from collections.abc import Mapping

from playground.sandboxes.models import Sandbox
from playground.web.models import NodePosition

MAX_POSITIONS_PER_SAVE = 1000
LIMIT = 1_000_000.0  # a coordinate beyond this is a bug in the client, not a place on the canvas


def positions_of(*, sandbox: Sandbox) -> dict[str, dict[str, float]]:
    rows = NodePosition.objects.filter(sandbox=sandbox).values_list("node_id", "x", "y")
    return {node_id: {"x": x, "y": y} for node_id, x, y in rows}


def positions_save(*, sandbox: Sandbox, positions: Mapping[str, Mapping[str, float]]) -> int:
    """Upsert the given positions; returns how many were saved. Raises ValueError on bad input."""
    if len(positions) > MAX_POSITIONS_PER_SAVE:
        raise ValueError(f"at most {MAX_POSITIONS_PER_SAVE} positions at a time")
    rows = []
    for node_id, place in positions.items():
        if not isinstance(node_id, str) or not 0 < len(node_id) <= 1024:
            raise ValueError("a node id is a string of 1 to 1024 characters")
        try:
            x, y = float(place["x"]), float(place["y"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"position of {node_id!r} needs numbers x and y") from None
        if not (abs(x) <= LIMIT and abs(y) <= LIMIT):
            raise ValueError(f"position of {node_id!r} is off the canvas")
        rows.append(NodePosition(sandbox=sandbox, node_id=node_id, x=x, y=y))
    NodePosition.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["sandbox", "node_id"], update_fields=["x", "y"]
    )
    return len(rows)


def positions_forget(*, sandbox: Sandbox) -> int:
    """Forget every saved position; returns how many there were."""
    deleted, _ = NodePosition.objects.filter(sandbox=sandbox).delete()
    return deleted
