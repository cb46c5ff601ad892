from __future__ import annotations

from django.urls import reverse

from playground import catalog


class SqsConfig(catalog.ServiceApp):
    name = "services.sqs"
    label = "sqs"
    verbose_name = "SQS"
    aws_services = ("sqs",)
    title = "Amazon SQS"
    group = "Application integration"
    quotas = {"Queue": 100}
    stored_payloads = {"Message": "size"}
    storing_operations = frozenset({"SendMessage", "SendMessageBatch"})
    # AWS logs the message operations as data events (resource type AWS::SQS::Queue).
    data_events = dict.fromkeys(
        (
            "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
            "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
        ),
        "AWS::SQS::Queue",
    )  # fmt: skip

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The inspector's Peek reads /sqs/sandboxes/<id>/peek/ (views.py)."""
        return {"peek": reverse("sqs:peek", args=[sandbox_id])}
