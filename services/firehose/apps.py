from __future__ import annotations

from django.urls import reverse

from playground import catalog


class FirehoseConfig(catalog.ServiceApp):
    name = "services.firehose"
    label = "firehose"
    verbose_name = "Firehose"
    aws_services = ("firehose",)
    title = "Amazon Data Firehose"
    group = "Analytics"
    quotas = {"DeliveryStream": 50}
    stored_payloads = {"BufferedBatch": "size"}
    storing_operations = frozenset({"PutRecord", "PutRecordBatch"})
    limit_errors = {"DeliveryStream": "LimitExceededException"}

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The delivery stream inspector reads the buffer's contents and next flush time from the
        REST API's resource view (graph.describe); the palette's form names a role in the account."""
        from playground.sandboxes.models import Sandbox

        account = Sandbox.objects.filter(pk=sandbox_id).values_list("account_id", flat=True).first()
        return {"resource": reverse("api-resource", args=[sandbox_id]), "account_id": account or ""}
