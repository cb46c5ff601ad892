from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Process a batch of orders from SQS: one record per message."""
    for record in event["Records"]:
        order = record["body"]
        if "poison" in order:
            raise ValueError(f"cannot process {order!r}")
        print("processed", order)
    return {"processed": len(event["Records"])}
