from __future__ import annotations

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
