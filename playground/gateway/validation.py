"""Input validation against the operation's input shape (to be completed)."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel


def validate(service: ServiceModel, operation: OperationModel, params: dict[str, Any]) -> None:
    return None
