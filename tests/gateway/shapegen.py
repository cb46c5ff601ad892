"""Valid values for any botocore shape, generated deterministically from the model.

Used by the protocol round-trip tests: a value made here goes through botocore's serializer (or
the gateway's) and must come back unchanged through the other side.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from botocore.model import Shape

# Members whose serialized form cannot carry every value (an empty string in a header, say) are
# kept simple; strings use only characters every protocol round-trips.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class ShapeGen:
    def __init__(self, seed: int = 0, *, max_depth: int = 4, fill_optional: float = 1.0) -> None:
        self.random = random.Random(seed)
        self.max_depth = max_depth
        self.fill_optional = fill_optional

    def value(self, shape: Shape, depth: int = 0, *, name: str = "") -> Any:
        kind = shape.type_name
        method = getattr(self, f"_{kind}")
        return method(shape, depth, name)

    # --- scalars -----------------------------------------------------------------------------
    def _string(self, shape: Shape, depth: int, name: str) -> str:
        if shape.enum:
            return str(self.random.choice(shape.enum))
        low = max(int(shape.metadata.get("min", 1)), 1)
        high = int(shape.metadata.get("max", 12))
        length = max(low, min(high, 8))
        return "".join(self.random.choice(_ALPHABET) for _ in range(length))

    def _integer(self, shape: Shape, depth: int, name: str) -> int:
        low = int(shape.metadata.get("min", 1))
        high = int(shape.metadata.get("max", low + 100))
        return self.random.randint(low, max(low, min(high, low + 100)))

    _long = _integer

    def _float(self, shape: Shape, depth: int, name: str) -> float:
        low = float(shape.metadata.get("min", 0))
        steps = 100
        if "max" in shape.metadata:
            steps = min(steps, int((float(shape.metadata["max"]) - low) * 4))
        if steps < 1:
            return low
        return low + self.random.randint(1, steps) / 4  # exact in binary, so it survives every format

    _double = _float

    def _boolean(self, shape: Shape, depth: int, name: str) -> bool:
        return self.random.choice([True, False])

    def _blob(self, shape: Shape, depth: int, name: str) -> bytes:
        low = max(int(shape.metadata.get("min", 1)), 1)
        length = max(low, 6)
        length = min(length, int(shape.metadata.get("max", length)))
        return bytes(self.random.randrange(256) for _ in range(length))

    def _timestamp(self, shape: Shape, depth: int, name: str) -> dt.datetime:
        # Whole seconds: some formats (rfc822, unixTimestamp as integer in headers) drop fractions.
        seconds = self.random.randint(1_600_000_000, 1_900_000_000)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)

    # --- aggregates --------------------------------------------------------------------------
    def _structure(self, shape: Shape, depth: int, name: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        required = set(shape.required_members)
        members = shape.members
        if shape.metadata.get("union"):
            first = next(iter(members))
            return {first: self.value(members[first], depth + 1, name=first)}
        for member_name, member in members.items():
            if member_name not in required:
                if depth >= self.max_depth or self.random.random() > self.fill_optional:
                    continue
                if member.serialization.get("eventstream") or member.metadata.get("eventstream"):
                    continue
                if member.type_name == "structure" and member.metadata.get("document"):
                    continue
            result[member_name] = self.value(member, depth + 1, name=member_name)
        return result

    def _list(self, shape: Shape, depth: int, name: str) -> list[Any]:
        low = max(int(shape.metadata.get("min", 1)), 1)
        count = low if depth >= self.max_depth else max(low, 2)
        count = min(count, int(shape.metadata.get("max", count)))
        return [self.value(shape.member, depth + 1) for _ in range(count)]

    def _map(self, shape: Shape, depth: int, name: str) -> dict[str, Any]:
        low = max(int(shape.metadata.get("min", 1)), 1)
        count = max(low, 2)
        count = min(count, int(shape.metadata.get("max", count)))
        result: dict[str, Any] = {}
        attempts = 0
        while len(result) < count and attempts < count * 10:
            attempts += 1
            key = self.value(shape.key, depth + 1)
            result[key] = self.value(shape.value, depth + 1)
        return result
