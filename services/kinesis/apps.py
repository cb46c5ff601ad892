from __future__ import annotations

from django.urls import reverse

from playground import catalog


class KinesisConfig(catalog.ServiceApp):
    name = "services.kinesis"
    label = "kinesis"
    verbose_name = "Kinesis"
    aws_services = ("kinesis",)
    title = "Amazon Kinesis Data Streams"
    group = "Analytics"
    quotas = {"Stream": 50, "Shard": 1000}
    stored_payloads = {"Record": "size"}
    storing_operations = frozenset({"PutRecord", "PutRecords"})
    # AWS logs these as data events (resource type AWS::Kinesis::Stream / ::StreamConsumer).
    data_events = {
        **dict.fromkeys(
            ("PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "SubscribeToShard"), "AWS::Kinesis::Stream"
        ),
    }
    limit_errors = {"Stream": "LimitExceededException", "Shard": "LimitExceededException"}

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The stream inspector reads the stream's shards and newest records from the REST API's
        resource view (graph.describe)."""
        return {"resource": reverse("api-resource", args=[sandbox_id])}
